import type { EngineStack } from "../../tools/stack-driver/engine-stack";
import { runLoad, type LoadResult } from "../load";
import type { ProxyPath, ProxyResult, ProxyRun } from "../results";
import { type LatencyFigures, latencyFigures } from "../stats";
import { authorization, DIRECT_TRIALS_URL, NGINX_SERVER_NAME, NGINX_TRIALS_URL, progress, TRIALS_PATH } from "./bench-stack";

/**
 * Benchmark 2: latency of GET /api/evolution/trials at a fixed rate through nginx (TLS, rate
 * limit lifted) against the same requests straight to replica 1 on its loopback port, each
 * over one keep-alive connection, so the figures are per-request latency, not queueing behind
 * other requests of the benchmark.
 */

const RATE = 20;
const SECONDS = 20;
const CONNECTIONS = 1;
const WARM_UP_SECONDS = 3;

const URLS: Record<ProxyPath, string> = { nginx: NGINX_TRIALS_URL, direct: DIRECT_TRIALS_URL };
const ORDER: readonly ProxyPath[] = ["nginx", "direct"];

/** Every request must succeed, at the rate asked for, for the latencies to mean anything. */
function checkRun(label: string, result: LoadResult, seconds: number): void {
  const unexpected = Object.keys(result.statuses).filter((status) => status !== "200");
  if (unexpected.length > 0 || result.errors > 0 || result.unanswered > 0) {
    throw new Error(`proxy overhead: ${label} answered ${JSON.stringify(result.statuses)} with ${result.errors} errors and ${result.unanswered} unanswered`);
  }
  const expected = RATE * seconds;
  if (result.completed < 0.9 * expected) {
    throw new Error(`proxy overhead: ${label} completed ${result.completed} requests of the ${expected} its rate asks for: the path cannot keep up, so the figures would not be at a fixed rate`);
  }
}

async function measure(path: ProxyPath, headers: Record<string, string>, seconds: number): Promise<LoadResult> {
  // nginx answers only its server name; the replica's direct port takes any Host.
  const serverName = path === "nginx" ? NGINX_SERVER_NAME : undefined;
  const result = await runLoad({ url: URLS[path], serverName, rate: RATE, seconds, connections: CONNECTIONS, headers });
  checkRun(path, result, seconds);
  return result;
}

/** The paths in alternating order each run, so a slow drift of the machine does not favour one. */
function rotated(run: number): ProxyPath[] {
  const shift = (run - 1) % ORDER.length;
  return [...ORDER.slice(shift), ...ORDER.slice(0, shift)];
}

export async function measureProxyOverhead(stack: EngineStack, runs: number): Promise<ProxyResult> {
  const headers = authorization(stack);
  // Warm every path (TLS session, Python imports, Postgres plans) before anything is recorded.
  for (const path of ORDER) await measure(path, headers, WARM_UP_SECONDS);
  const results: ProxyRun[] = [];
  for (let run = 1; run <= runs; run++) {
    const latency: Partial<Record<ProxyPath, LatencyFigures>> = {};
    const statuses: Partial<Record<ProxyPath, Record<number, number>>> = {};
    for (const path of rotated(run)) {
      const load = await measure(path, headers, SECONDS);
      latency[path] = latencyFigures(load.latenciesMs);
      statuses[path] = load.statuses;
    }
    const figures = latency as Record<ProxyPath, LatencyFigures>;
    const p95Ratio = figures.nginx.p95 / figures.direct.p95;
    results.push({ latency: figures, statuses: statuses as Record<ProxyPath, Record<number, number>>, p95Ratio });
    progress(`proxy overhead run ${run}: p95 nginx ${figures.nginx.p95.toFixed(2)} ms, direct ${figures.direct.p95.toFixed(2)} ms (x${p95Ratio.toFixed(2)}); average nginx ${figures.nginx.average.toFixed(2)} ms`);
  }
  return { path: TRIALS_PATH, ratePerSecond: RATE, seconds: SECONDS, connections: CONNECTIONS, runs: results };
}
