import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asList, asRecord, asString, COMMAND, CONTAINER, describe, known } from "../lib/resources";
import { configSchema, type Settings } from "../lib/settings";

const settings = {} as const satisfies Settings;

/** What a container could add; the read-only root and the PIDs limit are mandatory rules of their own. */
function containerAdvice(props: Readonly<Record<string, unknown>>): string[] {
  const advice: string[] = [];
  const securityOpts = asList(props.securityOpts).map(String);
  if (!securityOpts.some((option) => /^no-new-privileges(:true)?$/.test(option))) advice.push("no-new-privileges (securityOpts)");
  if (asList(asRecord(props.capabilities)?.drops).length === 0) advice.push("dropped capabilities (capabilities.drops: [\"ALL\"] plus what it needs)");
  return advice;
}

/** One-off containers started by `docker run` in a command (the migration, the file writers, nginx's release check). */
function dockerRunAdvice(commandLine: string): string[] {
  if (!/\bdocker\s+run\b/.test(commandLine)) return [];
  const flags: [RegExp, string][] = [
    // `-m` only with a size: after the image, `python -m module` is the command, not a flag.
    [/--memory[\s=]|\s-m\s*\d/, "--memory"],
    [/--cpus[\s=]/, "--cpus"],
    [/--pids-limit[\s=]/, "--pids-limit"],
    [/--read-only\b/, "--read-only"],
    [/--security-opt[\s=]no-new-privileges/, "--security-opt no-new-privileges"],
    [/--cap-drop[\s=]/, "--cap-drop"],
  ];
  return flags.filter(([flag]) => !flag.test(commandLine)).map(([, name]) => name);
}

/** Defence in depth: none of these stops the stack working, each limits what a compromise can do. */
export const containerHardening: ResourceValidationPolicy = {
  name: "container-hardening",
  description: "Advisory: containers run with no-new-privileges and dropped capabilities; one-off `docker run` containers with limits, a read-only root and the same hardening.",
  enforcementLevel: "advisory",
  severity: "low",
  configSchema: configSchema(settings),
  remediationSteps: "Add securityOpts no-new-privileges:true and capabilities.drops to the container; --memory, --cpus, --pids-limit, --read-only, --security-opt no-new-privileges and --cap-drop to a `docker run`.",
  validateResource: (args, reportViolation) => {
    if (args.type === CONTAINER) {
      const advice = containerAdvice(args.props);
      if (advice.length > 0) reportViolation(`${describe(args)} could also run with ${advice.join(", ")}.`);
    } else if (args.type === COMMAND) {
      const advice = dockerRunAdvice(known(() => asString(args.props.create)) ?? "");
      if (advice.length > 0) reportViolation(`${describe(args)} starts a container with \`docker run\` without ${advice.join(", ")}.`);
    }
  },
};
