import type { StackValidationPolicy } from "@pulumi/policy";
import { asNumber, containersOf, describe, isProductionStack, LABEL, labelsOf } from "../lib/resources";
import { configSchema, readSettings, type Settings } from "../lib/settings";

const settings = {
  minRetentionDays: { type: "integer", minimum: 1, default: 7, description: "Fewest days dumps are kept." },
  maxIntervalHours: { type: "number", exclusiveMinimum: 0, default: 24, description: "Longest time between scheduled dumps, in hours." },
  minKeep: { type: "integer", minimum: 1, default: 1, description: "Fewest good dumps always kept, however old." },
  verifyModes: {
    type: "array",
    items: { type: "string", enum: ["list", "restore"] },
    default: ["list", "restore"],
    description: "Accepted verification modes: `list` (pg_restore --list) or `restore` (restore into a scratch database).",
  },
} as const satisfies Settings;

/**
 * The runbook's rollback and emergency procedures restore "the latest verified backup": in
 * production there must be one. The backup container states its schedule in labels.
 */
export const productionBackups: StackValidationPolicy = {
  name: "production-backups",
  description: "A production stack runs a backup job with retention of at least the configured days and verification on.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: configSchema(settings),
  remediationSteps: "Set dean:backup.enabled true with retentionDays, interval and verify (list or restore) in the production stack config.",
  validateStack: (args, reportViolation) => {
    if (!isProductionStack(args.resources)) args.notApplicable(`no object is labelled ${LABEL.environment}=prod`);
    const config = readSettings(settings, args.getConfig());
    const jobs = containersOf(args.resources, "backup");
    if (jobs.length === 0) {
      reportViolation(`production stack has no backup job (no container labelled ${LABEL.service}=backup). Fix: set dean:backup.enabled: true, retentionDays >= ${config.minRetentionDays} and verify in the production stack config.`);
      return;
    }
    for (const job of jobs) {
      const labels = labelsOf(job.props);
      const number = (label: string) => asNumber(labels[label]);
      const problems: string[] = [];
      const retention = number(LABEL.backupRetentionDays);
      if (retention === undefined || retention < config.minRetentionDays) problems.push(`retention is ${retention ?? "unknown"} days (${LABEL.backupRetentionDays}); at least ${config.minRetentionDays} required`);
      const interval = number(LABEL.backupIntervalSeconds);
      if (interval === undefined || interval <= 0 || interval > config.maxIntervalHours * 3600) problems.push(`dumps run every ${interval === undefined ? "unknown" : `${interval / 3600}h`} (${LABEL.backupIntervalSeconds}); at most every ${config.maxIntervalHours}h allowed`);
      const minKeep = number(LABEL.backupMinKeep);
      if (minKeep === undefined || minKeep < config.minKeep) problems.push(`${minKeep ?? "an unknown number of"} good dumps are always kept (${LABEL.backupMinKeep}); at least ${config.minKeep} required`);
      const verify = labels[LABEL.backupVerify];
      if (verify === undefined || !config.verifyModes.includes(verify)) problems.push(`verification is ${verify === undefined ? "off" : `\`${verify}\``} (${LABEL.backupVerify}); one of ${config.verifyModes.join(", ")} required`);
      if (problems.length > 0) {
        reportViolation(`${describe(job)}: ${problems.join("; ")}. Fix: set dean:backup.retentionDays, interval, minKeep and verify in the production stack config.`, job.urn);
      }
    }
  },
};
