import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asList, asRecord, asString, CONTAINER, describe, isLongRunning } from "../lib/resources";
import { configSchema, readSettings, type Settings } from "../lib/settings";

const settings = {
  restartPolicies: {
    type: "array",
    items: { type: "string", enum: ["always", "unless-stopped", "on-failure"] },
    default: ["unless-stopped", "always", "on-failure"],
    description: "Restart policies that bring a long-running container back.",
  },
} as const satisfies Settings;

/** Docker reports health only when a check exists, and restarts only with a policy (the default is `no`). */
export const healthAndRestart: ResourceValidationPolicy = {
  name: "healthcheck-and-restart",
  description: "Long-running containers have a healthcheck and a restart policy.",
  enforcementLevel: "mandatory",
  severity: "medium",
  configSchema: configSchema(settings),
  remediationSteps: "Give the container healthcheck.tests (a real probe of the service) and restart: \"unless-stopped\".",
  validateResource: (args, reportViolation) => {
    if (args.type !== CONTAINER || !isLongRunning(args.props)) return;
    const { restartPolicies } = readSettings(settings, args.getConfig());
    const problems: string[] = [];
    const tests = asList(asRecord(args.props.healthcheck)?.tests).map(String);
    if (tests.length === 0 || tests[0] === "NONE") problems.push("it has no healthcheck");
    const restart = asString(args.props.restart) || "no";
    if (!restartPolicies.includes(restart)) problems.push(`its restart policy is \`${restart}\` (allowed: ${restartPolicies.join(", ")})`);
    if (problems.length > 0) {
      reportViolation(`${describe(args)}: ${problems.join("; ")}. Fix: add healthcheck.tests that probe the service and restart: "unless-stopped".`);
    }
  },
};
