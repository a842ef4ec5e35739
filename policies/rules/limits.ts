import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asNumber, CONTAINER, describe, serviceOf } from "../lib/resources";
import { configSchema, readSettings, type Settings } from "../lib/settings";

/** The program turns reserved CPUs into cpu shares at Docker's weight of 1024 per CPU. */
const CPU_SHARES_PER_CPU = 1024;

const settings = {
  maxMemoryMiB: { type: "integer", minimum: 16, default: 16384, description: "Largest memory limit (MiB) one container may have." },
  maxCpus: { type: "number", exclusiveMinimum: 0, default: 8, description: "Largest CPU limit one container may have." },
} as const satisfies Settings;

/** A container without limits can starve the others on the host (the runbook's "resource usage"). */
export const containerLimits: ResourceValidationPolicy = {
  name: "container-resource-limits",
  description: "Every container has a memory and a CPU limit within the configured maximums, and reservations no higher than its limits.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: configSchema(settings),
  remediationSteps: "Set the service's dean:<service>.resources (cpus, memoryMiB, reservedCpus, reservedMemoryMiB) in the stack config.",
  validateResource: (args, reportViolation) => {
    if (args.type !== CONTAINER) return;
    const { maxMemoryMiB, maxCpus } = readSettings(settings, args.getConfig());
    const memory = asNumber(args.props.memory);
    const cpus = asNumber(args.props.cpus);
    const reservedMemory = asNumber(args.props.memoryReservation);
    const cpuShares = asNumber(args.props.cpuShares);
    const problems: string[] = [];
    if (memory === undefined || memory <= 0) problems.push("it has no memory limit (`memory`, MiB)");
    else if (memory > maxMemoryMiB) problems.push(`its memory limit ${memory} MiB is above the maximum of ${maxMemoryMiB} MiB`);
    if (cpus === undefined || cpus <= 0) problems.push("it has no CPU limit (`cpus`)");
    else if (cpus > maxCpus) problems.push(`its CPU limit ${cpus} is above the maximum of ${maxCpus}`);
    if (reservedMemory !== undefined && memory !== undefined && memory > 0 && reservedMemory > memory) {
      problems.push(`its memory reservation ${reservedMemory} MiB exceeds its limit of ${memory} MiB`);
    }
    if (cpuShares !== undefined && cpus !== undefined && cpus > 0 && cpuShares > cpus * CPU_SHARES_PER_CPU) {
      problems.push(`its cpu shares ${cpuShares} reserve ${cpuShares / CPU_SHARES_PER_CPU} CPUs, more than its limit of ${cpus}`);
    }
    if (problems.length > 0) {
      const service = serviceOf(args.props) ?? "<service>";
      reportViolation(`${describe(args)}: ${problems.join("; ")}. Fix: set dean:${service}.resources (cpus, memoryMiB, reservedCpus, reservedMemoryMiB) within the limits.`);
    }
  },
};
