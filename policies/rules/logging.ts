import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asNumber, asRecord, asString, CONTAINER, describe } from "../lib/resources";
import { configSchema, readSettings, type Settings } from "../lib/settings";

const settings = {
  maxSizeMiB: { type: "integer", minimum: 1, default: 100, description: "Largest json-file max-size (MiB) of one log file." },
  maxFiles: { type: "integer", minimum: 1, default: 20, description: "Most json-file max-file (rotated files kept)." },
  boundedDrivers: {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: ["local", "journald", "syslog", "none"],
    description: "Log drivers other than json-file that keep the host's disk bounded on their own.",
  },
} as const satisfies Settings;

/** Docker's json-file driver (the default) keeps every line forever unless told to rotate. */
const JSON_FILE = "json-file";
const SIZE = /^(\d+)([kmg]?)$/i;
const MIB_PER_UNIT: Record<string, number> = { "": 1 / (1024 * 1024), k: 1 / 1024, m: 1, g: 1024 };

function sizeInMiB(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  return match ? Number(match[1]) * MIB_PER_UNIT[match[2].toLowerCase()] : undefined;
}

/** A chatty service with unrotated logs fills the Docker host's disk. */
export const logRotation: ResourceValidationPolicy = {
  name: "log-rotation",
  description: "Containers rotate their logs: json-file with max-size and max-file within limits, or another bounded driver.",
  enforcementLevel: "mandatory",
  severity: "medium",
  configSchema: configSchema(settings),
  remediationSteps: "Set logDriver json-file with logOpts max-size and max-file (dean:logging.maxSize / maxFiles).",
  validateResource: (args, reportViolation) => {
    if (args.type !== CONTAINER) return;
    const config = readSettings(settings, args.getConfig());
    const driver = asString(args.props.logDriver) || JSON_FILE;
    const options = asRecord(args.props.logOpts) ?? {};
    const problems: string[] = [];
    if (driver === JSON_FILE) {
      const sizeText = asString(options["max-size"]);
      const size = sizeText === undefined ? undefined : sizeInMiB(sizeText);
      const files = asNumber(options["max-file"]);
      if (sizeText === undefined) problems.push("json-file logs have no max-size, so they grow without bound");
      else if (size === undefined) problems.push(`max-size \`${sizeText}\` is not a size such as 10m`);
      else if (size > config.maxSizeMiB) problems.push(`max-size ${sizeText} is above ${config.maxSizeMiB}m`);
      if (files === undefined) problems.push("json-file logs have no max-file, so rotated files are never removed");
      else if (files < 1 || files > config.maxFiles) problems.push(`max-file ${files} is outside 1..${config.maxFiles}`);
    } else if (!config.boundedDrivers.includes(driver)) {
      problems.push(`log driver \`${driver}\` is not one known to be bounded (${[JSON_FILE, ...config.boundedDrivers].join(", ")})`);
    }
    if (problems.length > 0) {
      reportViolation(`${describe(args)}: ${problems.join("; ")}. Fix: logDriver json-file with logOpts max-size and max-file (dean:logging.maxSize and maxFiles).`);
    }
  },
};
