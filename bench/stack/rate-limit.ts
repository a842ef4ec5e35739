import type { EngineStack } from "../../tools/stack-driver/engine-stack";
import { sleep } from "../../tools/stack-driver/wait";
import { answered, runLoad } from "../load";
import type { RateLimitResult, RateLimitRun } from "../results";
import { authorization, MEASURED_LIMIT, NGINX_SERVER_NAME, NGINX_TRIALS_URL, progress } from "./bench-stack";

/**
 * Benchmark 3: nginx's per-client limit (1 r/s, burst 5, nodelay) against 20 r/s from one
 * client for 10 s. The theory: burst + rate x t requests get through, the rest are 429.
 * The caller deploys the limit; this only sends traffic and counts.
 */

const CLIENT_RATE = 20;
const SECONDS = 10;

/** Requests the limit should admit in `seconds`: the burst plus what the rate refills. */
export function expectedAdmitted(limit: { ratePerSecond: number; burst: number }, seconds: number): number {
  return limit.burst + limit.ratePerSecond * seconds;
}

/** Long enough for nginx's bucket to drain completely between runs. */
function drainMs(limit: { ratePerSecond: number; burst: number }): number {
  return Math.ceil(((limit.burst + 1) / limit.ratePerSecond) * 1000) + 2000;
}

export async function measureRateLimit(stack: EngineStack, runs: number): Promise<RateLimitResult> {
  const limit = MEASURED_LIMIT;
  const expected = expectedAdmitted(limit, SECONDS);
  const headers = authorization(stack);
  const results: RateLimitRun[] = [];
  for (let run = 1; run <= runs; run++) {
    await sleep(drainMs(limit));
    const load = await runLoad({ url: NGINX_TRIALS_URL, serverName: NGINX_SERVER_NAME, rate: CLIENT_RATE, seconds: SECONDS, connections: 1, headers });
    const rejected = load.statuses[429] ?? 0;
    const admitted = answered(load) - rejected;
    const other = Object.keys(load.statuses).filter((status) => status !== "200" && status !== "429");
    if (other.length > 0 || load.errors > 0) {
      throw new Error(`rate limit run ${run}: unexpected answers ${JSON.stringify(load.statuses)}, ${load.errors} errors`);
    }
    results.push({ requests: load.completed, admitted, rejected, errors: load.errors, offBy: admitted - expected, durationSeconds: load.durationSeconds });
    progress(`rate limit run ${run}: ${admitted} admitted, ${rejected} rejected of ${load.completed} (expected ${expected})`);
  }
  return { limitPerSecond: limit.ratePerSecond, burst: limit.burst, clientRatePerSecond: CLIENT_RATE, seconds: SECONDS, expected, runs: results };
}
