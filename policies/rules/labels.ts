import type { ResourceValidationPolicy } from "@pulumi/policy";
import { CONTAINER, describe, LABEL, labelsOf, NETWORK, VOLUME } from "../lib/resources";
import { configSchema, readSettings, type Settings } from "../lib/settings";

const settings = {
  environments: {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: ["dev", "staging", "prod"],
    description: `Allowed values of ${LABEL.environment}.`,
  },
} as const satisfies Settings;

/**
 * The production rules key off `dean.environment`: an object without it would escape them, so
 * the labels themselves are mandatory.
 */
export const requiredLabels: ResourceValidationPolicy = {
  name: "required-labels",
  description: "Every Docker container, volume and network carries the dean.* labels that operators and the other policies rely on.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: configSchema(settings),
  remediationSteps: "Build the labels with the program's labels() helper (components/container-defaults.ts).",
  validateResource: (args, reportViolation) => {
    if (![CONTAINER, VOLUME, NETWORK].includes(args.type)) return;
    const { environments } = readSettings(settings, args.getConfig());
    const labels = labelsOf(args.props);
    const problems: string[] = [];
    for (const label of [LABEL.instance, LABEL.service]) {
      if (!labels[label]) problems.push(`${label} is missing`);
    }
    if (labels[LABEL.managedBy] !== "pulumi") problems.push(`${LABEL.managedBy} must be "pulumi" (got ${JSON.stringify(labels[LABEL.managedBy] ?? null)})`);
    const environment = labels[LABEL.environment];
    if (environment === undefined || !environments.includes(environment)) {
      problems.push(`${LABEL.environment} must be one of ${environments.join(", ")} (got ${JSON.stringify(environment ?? null)})`);
    }
    if (problems.length > 0) {
      reportViolation(`${describe(args)}: ${problems.join("; ")}. Production rules read ${LABEL.environment}, so an unlabelled object would escape them. Fix: label it with the program's labels() helper.`);
    }
  },
};
