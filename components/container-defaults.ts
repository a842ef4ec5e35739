import type * as docker from "@pulumi/docker";
import type { ResourceSettings, StackConfig } from "./config";
import { dockerCpus } from "./docker-values";

/** What every container of one stack shares: its instance name and log rotation. */
export interface ContainerContext {
  /** Prefix of every Docker object of this stack. */
  readonly instanceName: string;
  /** dev, staging or prod: policies hold prod objects to stricter rules. */
  readonly environment: StackConfig["environment"];
  /** json-file rotation settings. */
  readonly logging: StackConfig["logging"];
}

export const LABEL_INSTANCE = "dean.instance";
export const LABEL_SERVICE = "dean.service";
export const LABEL_MANAGED_BY = "dean.managed-by";
export const LABEL_ENVIRONMENT = "dean.environment";

/** Labels that let operators, dean-ops and the tests find every object of a stack. */
export function labels(context: ContainerContext, service: string): docker.types.input.ContainerLabel[] {
  return [
    { label: LABEL_INSTANCE, value: context.instanceName },
    { label: LABEL_SERVICE, value: service },
    { label: LABEL_MANAGED_BY, value: "pulumi" },
    { label: LABEL_ENVIRONMENT, value: context.environment },
  ];
}

/**
 * Set on every volume created with retainOnDelete: the analyzer protocol carries `protect`
 * but not `retainOnDelete`, so the data-volume-retained policy reads this label.
 */
export const LABEL_RETAIN_ON_DELETE = "dean.retain-on-delete";

/** Labels of a volume that is retained on delete. */
export function retainedVolumeLabels(context: ContainerContext, service: string): docker.types.input.ContainerLabel[] {
  return [...labels(context, service), { label: LABEL_RETAIN_ON_DELETE, value: "true" }];
}

/** Docker CPU shares per reserved CPU (the engine's default weight is 1024 for one CPU). */
const CPU_SHARES_PER_CPU = 1024;

/**
 * Limits, reservation, log rotation, restart policy and hardening common to every
 * long-running container. Plain `docker run` has no CPU reservation, so the reserved
 * CPUs become a relative weight (cpu shares) that counts under contention. The root
 * filesystem is read-only: each service names the few paths it writes (tmpfs or volumes),
 * and its PIDs limit is set by `pidsLimit` (pids-limit.ts), which the Docker provider lacks.
 */
export function serviceContainerDefaults(context: ContainerContext, service: string, resources: ResourceSettings): Partial<docker.ContainerArgs> {
  return {
    labels: labels(context, service),
    restart: "unless-stopped",
    cpus: dockerCpus(resources.cpus),
    cpuShares: Math.round(resources.reservedCpus * CPU_SHARES_PER_CPU),
    memory: resources.memoryMiB,
    memoryReservation: resources.reservedMemoryMiB,
    // Swap would hide memory pressure behind latency; equal limits disable it.
    memorySwap: resources.memoryMiB,
    logDriver: "json-file",
    logOpts: { "max-size": context.logging.maxSize, "max-file": String(context.logging.maxFiles) },
    securityOpts: ["no-new-privileges:true"],
    readOnly: true,
    mustRun: true,
  };
}

/**
 * Options of a tmpfs mount for a path a read-only container must write: nothing on it can be
 * executed or be a device or setuid, and it holds at most `sizeMiB`, which counts against the
 * container's memory limit. `mode` is its directory's mode (1777 like /tmp, 755 for root's).
 */
export function tmpfsOptions(sizeMiB: number, mode: "1777" | "755" = "1777"): string {
  return `rw,noexec,nosuid,nodev,size=${sizeMiB}m,mode=${mode}`;
}

/** Processes a one-off helper container (a file writer, a config check) may start. */
export const HELPER_PIDS_LIMIT = 32;

/** Docker object name for one part of this stack, e.g. `dean-postgres`. */
export function dockerName(context: ContainerContext, part: string): string {
  return `${context.instanceName}-${part}`;
}

/** Quotes one word for a POSIX shell command line. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
