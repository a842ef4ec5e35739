import type { PlanCostResult } from "../../../bench/plan-cost";
import type { AvailabilityPhase, AvailabilityPhaseName, BenchResults, MachineInfo, ProxyRun, Section } from "../../../bench/results";
import { summarize } from "../../../bench/stats";

/** Benchmark results shaped like a real run, with the knobs the report tests turn. */

export const MACHINE: MachineInfo = {
  cpuModel: "AMD EPYC",
  cores: 2,
  memoryGiB: 24,
  os: "Debian GNU/Linux 12 (bookworm)",
  kernel: "6.1.0",
  node: "v20.20.2",
  dockerEngine: "20.10.24+dfsg1",
  loadAverage: 0.4,
};

function section<T>(result: T, runs = 5): Section<T> {
  return { measuredAt: "2026-11-28T20:00:00.000Z", machine: MACHINE, runs, result };
}

export function planResult(secondsAtThree: number): PlanCostResult {
  const point = (replicas: number, seconds: number) => {
    const raw = [0.9, 1, 1, 1.05, 1.1].map((f) => ({ wallSeconds: seconds * f, peakRssMiB: 200 + replicas, exitCode: 0 }));
    return { replicas, raw, wallSeconds: summarize(raw.map((r) => r.wallSeconds)), peakRssMiB: summarize(raw.map((r) => r.peakRssMiB)) };
  };
  return {
    points: [point(1, secondsAtThree - 0.02), point(3, secondsAtThree), point(10, secondsAtThree + 0.1), { replicas: 100, refused: "dean:orchestrator.replicas must be a whole number between 1 and 50 (got 100)", raw: [] }],
    startup: { tsxSeconds: summarize([0.9, 1, 1, 1.1, 1.2]), sdkLoadSeconds: summarize([1.1, 1.2, 1.2, 1.3, 1.4]) },
    slopeSecondsPerReplica: 0.011,
    r2: 0.99,
  };
}

function latency(p95: number) {
  return { p50: p95 / 2, p95, p99: p95 * 1.5, average: p95 / 1.8, count: 240 };
}

export function proxyRun(nginxP95: number, directP95: number): ProxyRun {
  return {
    latency: { nginx: latency(nginxP95), direct: latency(directP95) },
    statuses: { nginx: { 200: 240 }, direct: { 200: 240 } },
    p95Ratio: nginxP95 / directP95,
  };
}

/** Every change's slowest answer: 1.5x the fixture's steady p99 (12 ms), inside the 2x target. */
const SLOWEST_MS = 18;

export function phase(name: AvailabilityPhaseName, failed: number, statuses: Record<number, number> = { 200: 400 }): AvailabilityPhase {
  return { phase: name, operationSeconds: 12, requests: 400 + failed, answered: 400, failed, statuses, errors: 0, unanswered: 0, maxLatencyMs: SLOWEST_MS, failureWindowSeconds: 0 };
}

export interface Knobs {
  planAtThree?: number;
  nginxP95?: number;
  offBy?: number;
  /** Failures (502) in the first run's replica restart. */
  restartFailures?: number;
  /** Failures (502) in the first run's "maintenance on". */
  maintenanceFailures?: number;
  /** A change whose slowest answer is `ms` in the first `runs` runs (of 5). */
  slow?: { readonly phase: AvailabilityPhaseName; readonly ms: number; readonly runs: number };
}

/** One run's phase, with the failures and slowness the knobs put into it. */
function knobbed(knobs: Knobs, run: number, name: AvailabilityPhaseName, failures = 0): AvailabilityPhase {
  const failed = run === 0 ? failures : 0;
  const measured = phase(name, failed, failed > 0 ? { 200: 400, 502: failed } : { 200: 400 });
  const slow = knobs.slow;
  return slow?.phase === name && run < slow.runs ? { ...measured, maxLatencyMs: slow.ms } : measured;
}

export function results(knobs: Knobs = {}): BenchResults {
  const offBy = knobs.offBy ?? 0;
  return {
    plan: section(planResult(knobs.planAtThree ?? 1.5)),
    proxy: section({ path: "/api/evolution/trials", ratePerSecond: 20, seconds: 12, connections: 1, runs: Array.from({ length: 5 }, () => proxyRun(knobs.nginxP95 ?? 4.9, 4.5)) }),
    rateLimit: section({
      limitPerSecond: 1,
      burst: 5,
      clientRatePerSecond: 20,
      seconds: 10,
      expected: 15,
      runs: Array.from({ length: 5 }, (_, i) => ({ requests: 200, admitted: 15 + (i === 2 ? offBy : 0), rejected: 185, errors: 0, offBy: i === 2 ? offBy : 0, durationSeconds: 10 })),
    }),
    availability: section({
      ratePerSecond: 20,
      connections: 4,
      nginx: { dnsCacheSeconds: 2, connectTimeoutSeconds: 2 },
      runs: Array.from({ length: 5 }, (_, i) => ({
        steadyP99Ms: 12,
        phases: [
          knobbed(knobs, i, "scale 1 -> 3"), knobbed(knobs, i, "restart 1 of 3 replicas", knobs.restartFailures), knobbed(knobs, i, "scale 3 -> 1"),
          knobbed(knobs, i, "upgrade"), knobbed(knobs, i, "rotate database"), knobbed(knobs, i, "rotate redis"), knobbed(knobs, i, "rotate jwt"),
        ],
        edgeChanges: [knobbed(knobs, i, "maintenance on", knobs.maintenanceFailures), knobbed(knobs, i, "maintenance off"), knobbed(knobs, i, "block an address"), knobbed(knobs, i, "unblock it")],
      })),
    }),
    backup: section({
      databaseBytes: 1100 * 2 ** 20,
      tableRows: 4_000_000,
      runs: Array.from({ length: 5 }, () => ({ bareSeconds: 40, bareBytes: 500 * 2 ** 20, jobSeconds: 100, jobBytes: 500 * 2 ** 20, verifySeconds: 58, dumpRatio: 1.05, jobRatio: 2.5 })),
    }),
  };
}
