import type { PlanCostResult } from "./plan-cost";
import type { LatencyFigures } from "./stats";

/** The raw figures `npm run bench` writes to docs/benchmarks.json and renders into docs/benchmarks.md. */

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly kernel: string;
  readonly node: string;
  readonly dockerEngine: string;
  /** 1-minute load average when the section started: a busy machine skews every figure. */
  readonly loadAverage: number;
}

/** One measured benchmark: when, where, how many runs, and what it found. */
export interface Section<T> {
  readonly measuredAt: string;
  readonly machine: MachineInfo;
  readonly runs: number;
  readonly result: T;
}

/** nginx: HTTPS through nginx; direct: plain HTTP straight to replica 1 (each one keep-alive connection). */
export type ProxyPath = "nginx" | "direct";

export interface ProxyRun {
  readonly latency: Record<ProxyPath, LatencyFigures>;
  readonly statuses: Record<ProxyPath, Record<number, number>>;
  /** p95 through nginx / p95 direct. */
  readonly p95Ratio: number;
}

export interface ProxyResult {
  readonly path: string;
  readonly ratePerSecond: number;
  readonly seconds: number;
  readonly connections: number;
  readonly runs: ProxyRun[];
}

export interface RateLimitRun {
  /** Requests that ended (answered or failed). */
  readonly requests: number;
  readonly admitted: number;
  readonly rejected: number;
  /** Requests without any response (connection errors, timeouts). */
  readonly errors: number;
  /** admitted - expected. */
  readonly offBy: number;
  readonly durationSeconds: number;
}

export interface RateLimitResult {
  readonly limitPerSecond: number;
  readonly burst: number;
  readonly clientRatePerSecond: number;
  readonly seconds: number;
  /** burst + rate x t. */
  readonly expected: number;
  readonly runs: RateLimitRun[];
}

/** Changes to the replicas (and what they depend on): scaling, a restart, an upgrade and each rotation. */
export type ReplicaChange =
  | "scale 1 -> 3" | "restart 1 of 3 replicas" | "scale 3 -> 1"
  | "upgrade" | "rotate database" | "rotate redis" | "rotate jwt";
/**
 * Changes to nginx's own config, made at 1 replica: each is a checked config release and a
 * reload of the same nginx container, so like the replica changes they must fail nothing.
 */
export type EdgeChange = "maintenance on" | "maintenance off" | "block an address" | "unblock it";
export type AvailabilityPhaseName = ReplicaChange | EdgeChange;

export interface AvailabilityPhase {
  readonly phase: AvailabilityPhaseName;
  /** How long the change itself took (the deploy, or restart until healthy). */
  readonly operationSeconds: number;
  /** Requests that ended (answered or failed) while the load ran. */
  readonly requests: number;
  readonly answered: number;
  /** Non-2xx non-429 responses plus requests without a response (errors, unanswered). */
  readonly failed: number;
  readonly statuses: Record<number, number>;
  readonly errors: number;
  /** Requests lost without an error: the connection was closed cleanly mid-request. */
  readonly unanswered: number;
  /** Slowest answered request during the change, ms. */
  readonly maxLatencyMs: number;
  /** Seconds from the first to the last failure. */
  readonly failureWindowSeconds: number;
}

export interface AvailabilityRun {
  /** p99 latency (ms) of the same load with no change running: what a change's slowest answer is compared with. */
  readonly steadyP99Ms: number;
  /** The replica changes, in order. */
  readonly phases: AvailabilityPhase[];
  /** The nginx config changes after the scale-down, in order: maintenance on, off, block, unblock. */
  readonly edgeChanges: AvailabilityPhase[];
}

export interface AvailabilityResult {
  readonly ratePerSecond: number;
  readonly connections: number;
  /** nginx's settings that bound the wait on a removed replica, as rendered for this run. */
  readonly nginx: { readonly dnsCacheSeconds: number; readonly connectTimeoutSeconds: number };
  readonly runs: AvailabilityRun[];
}

export interface BackupRun {
  /** Bare `pg_dump -Fc` in the backup container. */
  readonly bareSeconds: number;
  readonly bareBytes: number;
  /** `dean-backup now`: checks, dump, verify-by-restore, marker. */
  readonly jobSeconds: number;
  readonly jobBytes: number;
  /** `dean-backup verify <dump>` alone: restore into a scratch database and count tables. */
  readonly verifySeconds: number;
  /** (job - verify) / bare: what the job's dump costs against a bare pg_dump. */
  readonly dumpRatio: number;
  /** job / bare: the whole job, verification included. */
  readonly jobRatio: number;
}

export interface BackupResult {
  readonly databaseBytes: number;
  readonly tableRows: number;
  readonly runs: BackupRun[];
}

export interface StackSections {
  proxy?: Section<ProxyResult>;
  rateLimit?: Section<RateLimitResult>;
  availability?: Section<AvailabilityResult>;
  backup?: Section<BackupResult>;
}

/** Bumped whenever a section's shape changes: older files cannot be merged or rendered. */
export const RESULTS_FORMAT = 3;

export interface BenchResults extends StackSections {
  format?: number;
  plan?: Section<PlanCostResult>;
}

export const BENCHMARKS = ["plan", "proxy", "rateLimit", "availability", "backup"] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];
export const STACK_BENCHMARKS: readonly BenchmarkName[] = ["proxy", "rateLimit", "availability", "backup"];
