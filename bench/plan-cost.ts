import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { PROJECT_DIR } from "../tools/policy-run";
import { linearFit, summarize, type Summary } from "./stats";

/**
 * Benchmark 1: wall time and peak memory of the offline plan + policy check
 * (`npm run policy`) for the prod config at several replica counts.
 */

export const PLAN_REPLICAS = [1, 3, 10, 30, 50, 100] as const;
/** The schema's bound on dean:orchestrator.replicas (components/config-schema.ts). */
const MAX_REPLICAS = 50;

export interface PlanCostPoint {
  readonly replicas: number;
  /** Set when the config itself refuses this count: nothing to measure. */
  readonly refused?: string;
  readonly wallSeconds?: Summary;
  readonly peakRssMiB?: Summary;
  readonly raw: { wallSeconds: number; peakRssMiB: number; exitCode: number }[];
}

export interface PlanCostResult {
  readonly points: PlanCostPoint[];
  /** Seconds per extra replica, from the medians (least squares over the measured counts). */
  readonly slopeSecondsPerReplica: number;
  readonly r2: number;
}

/** prod with `replicas` and a max_connections that still fits the connection budget. */
function stackFileFor(replicas: number, dir: string): string {
  const prod = yaml.load(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, Record<string, unknown>> };
  const config = prod.config;
  const orchestrator = config["dean:orchestrator"];
  const perReplica = Number(orchestrator.workers) * (Number(orchestrator.dbPoolSize) + Number(orchestrator.dbMaxOverflow));
  config["dean:orchestrator"] = { ...orchestrator, replicas };
  config["dean:postgres"] = { ...config["dean:postgres"], maxConnections: Math.max(200, replicas * perReplica + 20) };
  const file = path.join(dir, `Pulumi.bench-replicas-${replicas}.yaml`);
  fs.writeFileSync(file, yaml.dump(prod));
  return file;
}

/** One run in a fresh process, timed by GNU time (max RSS of the largest process). */
function runOnce(stackFile: string): { wallSeconds: number; peakRssMiB: number; exitCode: number; stderr: string } {
  const started = process.hrtime.bigint();
  const result = spawnSync("/usr/bin/time", ["-f", "DEAN_MAXRSS_KB=%M", path.join(PROJECT_DIR, "node_modules/.bin/tsx"), "tools/policy-check.ts", "--stack", "prod", "--stack-file", stackFile, "--launcher", "tsx", "--json"], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    timeout: 300_000,
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rss = /DEAN_MAXRSS_KB=(\d+)/.exec(result.stderr ?? "");
  if (!rss) throw new Error(`plan run printed no memory figure: ${result.stderr}`);
  return { wallSeconds, peakRssMiB: Number(rss[1]) / 1024, exitCode: result.status ?? -1, stderr: result.stderr };
}

export function measurePlanCost(runs: number, log: (line: string) => void): PlanCostResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dean-bench-plan-"));
  try {
    const points: PlanCostPoint[] = PLAN_REPLICAS.map((replicas) => {
      if (replicas > MAX_REPLICAS) {
        return { replicas, refused: `dean:orchestrator.replicas is bounded to 1..${MAX_REPLICAS} by the config schema`, raw: [] };
      }
      const file = stackFileFor(replicas, dir);
      const raw = [];
      for (let run = 1; run <= runs; run++) {
        const { stderr, ...measured } = runOnce(file);
        if (measured.exitCode !== 0) throw new Error(`plan check for ${replicas} replicas exited ${measured.exitCode}: ${stderr}`);
        raw.push(measured);
        log(`plan cost: ${replicas} replicas, run ${run}: ${measured.wallSeconds.toFixed(2)} s, ${measured.peakRssMiB.toFixed(0)} MiB`);
      }
      return {
        replicas,
        raw,
        wallSeconds: summarize(raw.map((r) => r.wallSeconds)),
        peakRssMiB: summarize(raw.map((r) => r.peakRssMiB)),
      };
    });
    const measured = points.filter((point) => point.wallSeconds !== undefined);
    const fit = linearFit(measured.map((point) => ({ x: point.replicas, y: point.wallSeconds?.median ?? 0 })));
    return { points, slopeSecondsPerReplica: fit.slope, r2: fit.r2 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
