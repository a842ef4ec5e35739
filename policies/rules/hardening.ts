import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asList, asNumber, asRecord, asString, COMMAND, CONTAINER, describe, known, serviceOf } from "../lib/resources";
import { configSchema, readSettings, type Settings } from "../lib/settings";

const settings = {
  writableRootFsServices: {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: ["postgres"],
    description: "Services whose image writes outside its volumes at run time (Postgres' entrypoint writes /var/run/postgresql), so a read-only root is not advised.",
  },
} as const satisfies Settings;

function containerAdvice(props: Readonly<Record<string, unknown>>, writableServices: readonly string[]): string[] {
  const advice: string[] = [];
  // Docker refuses to copy `uploads` into a read-only root filesystem.
  const uploads = asList(props.uploads).length > 0;
  if (props.readOnly !== true && !uploads && !writableServices.includes(serviceOf(props) ?? "")) {
    advice.push("a read-only root filesystem (readOnly: true, tmpfs for scratch paths)");
  }
  const securityOpts = asList(props.securityOpts).map(String);
  if (!securityOpts.some((option) => /^no-new-privileges(:true)?$/.test(option))) advice.push("no-new-privileges (securityOpts)");
  if (asList(asRecord(props.capabilities)?.drops).length === 0) advice.push("dropped capabilities (capabilities.drops: [\"ALL\"] plus what it needs)");
  // The Docker provider 5.x has no pids-limit input; the nproc ulimit is the nearest bound.
  const nproc = asList(props.ulimits).some((limit) => asString(asRecord(limit)?.name) === "nproc");
  if (!(asNumber(props.pidsLimit) ?? 0) && !nproc) advice.push("a process limit (ulimits: [{ name: \"nproc\", soft, hard }])");
  return advice;
}

/** One-off containers started by `docker run` in a command (the migration job). */
function dockerRunAdvice(commandLine: string): string[] {
  if (!/\bdocker\s+run\b/.test(commandLine)) return [];
  const flags: [RegExp, string][] = [
    // `-m` only with a size: after the image, `python -m module` is the command, not a flag.
    [/--memory[\s=]|\s-m\s*\d/, "--memory"],
    [/--cpus[\s=]/, "--cpus"],
    [/--pids-limit[\s=]/, "--pids-limit"],
    [/--security-opt[\s=]no-new-privileges/, "--security-opt no-new-privileges"],
    [/--cap-drop[\s=]/, "--cap-drop"],
  ];
  return flags.filter(([flag]) => !flag.test(commandLine)).map(([, name]) => name);
}

/** Defence in depth: none of these stops the stack working, each limits what a compromise can do. */
export const containerHardening: ResourceValidationPolicy = {
  name: "container-hardening",
  description: "Advisory: containers run with a read-only root filesystem where the image allows, no-new-privileges, dropped capabilities and a process limit.",
  enforcementLevel: "advisory",
  severity: "low",
  configSchema: configSchema(settings),
  remediationSteps: "Add readOnly (with tmpfs), securityOpts no-new-privileges:true, capabilities.drops and an nproc ulimit to the container.",
  validateResource: (args, reportViolation) => {
    const { writableRootFsServices } = readSettings(settings, args.getConfig());
    if (args.type === CONTAINER) {
      const advice = containerAdvice(args.props, writableRootFsServices);
      if (advice.length > 0) reportViolation(`${describe(args)} could also run with ${advice.join(", ")}.`);
    } else if (args.type === COMMAND) {
      const advice = dockerRunAdvice(known(() => asString(args.props.create)) ?? "");
      if (advice.length > 0) reportViolation(`${describe(args)} starts a container with \`docker run\` without ${advice.join(", ")}.`);
    }
  },
};
