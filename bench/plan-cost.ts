import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { postgresPidsFloor } from "../components/config-cross-checks";
import { PROJECT_DIR } from "../tools/policy-run";
import { linearFit, summarize, type Summary } from "./stats";

/**
 * Benchmark 1: wall time and peak memory of the offline plan + policy check
 * (`npm run policy`) for the prod config at several replica counts.
 */

/** Issue 6's counts, plus 50: the schema's maximum, since it refuses 100 (see `refused`). */
export const PLAN_REPLICAS = [1, 3, 10, 30, 50, 100] as const;

/** The check's exit code for a config it refuses (tools/policy-check.ts), before any resource. */
const CONFIG_REFUSED_EXIT = 2;

export interface PlanCostPoint {
  readonly replicas: number;
  /** The check's own message when the config refuses this count: nothing to plan. */
  readonly refused?: string;
  readonly wallSeconds?: Summary;
  readonly peakRssMiB?: Summary;
  readonly raw: { wallSeconds: number; peakRssMiB: number; exitCode: number }[];
}

export interface PlanCostResult {
  readonly points: PlanCostPoint[];
  /**
   * Start-up that every check pays before planning anything: tsx starting (it runs the check
   * in a child process with its loader), and plain Node loading @pulumi/pulumi and the four
   * provider SDKs. The policy pack's process loads @pulumi/policy and @pulumi/pulumi again.
   */
  readonly startup: { readonly tsxSeconds: Summary; readonly sdkLoadSeconds: Summary };
  /** Seconds per extra replica, from the medians (least squares over the measured counts). */
  readonly slopeSecondsPerReplica: number;
  readonly r2: number;
}

/** prod with `replicas`, a max_connections that still fits the connection budget and a PIDs limit for those connections. */
export function stackFileFor(replicas: number, dir: string): string {
  const prod = yaml.load(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, Record<string, unknown>> };
  const config = prod.config;
  const orchestrator = config["dean:orchestrator"];
  const perReplica = Number(orchestrator.workers) * (Number(orchestrator.dbPoolSize) + Number(orchestrator.dbMaxOverflow));
  config["dean:orchestrator"] = { ...orchestrator, replicas };
  const postgres = config["dean:postgres"];
  const maxConnections = Math.max(200, replicas * perReplica + 20);
  const resources = (postgres.resources ?? {}) as Record<string, unknown>;
  const pidsLimit = Math.max(Number(resources.pidsLimit ?? 0), postgresPidsFloor(maxConnections));
  config["dean:postgres"] = { ...postgres, maxConnections, resources: { ...resources, pidsLimit } };
  const file = path.join(dir, `Pulumi.bench-replicas-${replicas}.yaml`);
  fs.writeFileSync(file, yaml.dump(prod));
  return file;
}

const TSX = path.join(PROJECT_DIR, "node_modules/.bin/tsx");
const SDK_PACKAGES = ["@pulumi/pulumi", "@pulumi/docker", "@pulumi/postgresql", "@pulumi/random", "@pulumi/command"];

/** One run in a fresh process, timed by GNU time (max RSS of the largest process). */
function runOnce(stackFile: string): { wallSeconds: number; peakRssMiB: number; exitCode: number; stdout: string; stderr: string } {
  const started = process.hrtime.bigint();
  const result = spawnSync("/usr/bin/time", ["-f", "DEAN_MAXRSS_KB=%M", TSX, "tools/policy-check.ts", "--stack", "prod", "--stack-file", stackFile, "--launcher", "tsx", "--json"], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    timeout: 300_000,
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rss = /DEAN_MAXRSS_KB=(\d+)/.exec(result.stderr ?? "");
  if (!rss) throw new Error(`plan run printed no memory figure: ${result.stderr}`);
  return { wallSeconds, peakRssMiB: Number(rss[1]) / 1024, exitCode: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Wall time of one short process (a start-up component), in seconds. */
function timeProcess(command: string, args: readonly string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, [...args], { cwd: PROJECT_DIR, encoding: "utf8", timeout: 120_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function measureStartup(runs: number, log: (line: string) => void): PlanCostResult["startup"] {
  const loadSdks = SDK_PACKAGES.map((name) => `require(${JSON.stringify(name)});`).join(" ");
  const tsx: number[] = [];
  const sdk: number[] = [];
  for (let run = 1; run <= runs; run++) {
    tsx.push(timeProcess(TSX, ["-e", "0"]));
    sdk.push(timeProcess(process.execPath, ["-e", loadSdks]));
    log(`plan cost: start-up, run ${run}: tsx ${tsx[run - 1].toFixed(2)} s, SDK load ${sdk[run - 1].toFixed(2)} s`);
  }
  return { tsxSeconds: summarize(tsx), sdkLoadSeconds: summarize(sdk) };
}

export function measurePlanCost(runs: number, log: (line: string) => void): PlanCostResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dean-bench-plan-"));
  try {
    // One unrecorded run first, so that the first count does not also pay for a cold file cache.
    runOnce(stackFileFor(PLAN_REPLICAS[0], dir));
    const points: PlanCostPoint[] = PLAN_REPLICAS.map((replicas) => {
      const file = stackFileFor(replicas, dir);
      const raw = [];
      for (let run = 1; run <= runs; run++) {
        const { stdout, stderr, ...measured } = runOnce(file);
        const problem = /^\s*- (dean:orchestrator\.replicas .*)$/m.exec(`${stdout}\n${stderr}`);
        if (run === 1 && measured.exitCode === CONFIG_REFUSED_EXIT && problem) {
          log(`plan cost: ${replicas} replicas refused by the config: ${problem[1]}`);
          return { replicas, refused: problem[1], raw: [measured] };
        }
        if (measured.exitCode !== 0) throw new Error(`plan check for ${replicas} replicas exited ${measured.exitCode}: ${stdout}${stderr}`);
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
    const startup = measureStartup(runs, log);
    const measured = points.filter((point) => point.wallSeconds !== undefined);
    const fit = linearFit(measured.map((point) => ({ x: point.replicas, y: point.wallSeconds?.median ?? 0 })));
    return { points, startup, slopeSecondsPerReplica: fit.slope, r2: fit.r2 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
