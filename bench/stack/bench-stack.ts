import type { EngineStack } from "../../tools/stack-driver/engine-stack";
import { shortLivedToken } from "../../tools/stack-driver/jwt";
import { type ConfigOverrides, deepMerge } from "../../tools/stack-driver/stack-config";
import { e2eSettings, stackJwtKey } from "../../tools/stack-driver/stack-access";

/**
 * The benchmark stack: the e2e stack (tests/e2e/Pulumi.e2e.yaml, instance dean-e2e, every port
 * on 127.0.0.1) with these changes. Do not run `npm run bench` and the e2e tier at once: they
 * share the instance and its ports.
 */

/** Replica 1 published on 127.0.0.1 for the direct side of the proxy-overhead comparison. */
export const DIRECT_PORT = 18082;

export const TRIALS_PATH = "/api/evolution/trials";

/** The e2e file's own API limit (1 r/s, burst 5, nodelay): what the rate-limit benchmark measures. */
export const MEASURED_LIMIT = e2eSettings().nginx.rateLimit;

/**
 * Rate limit lifted (the schema's maximum) so that load measures the proxy, not the limit;
 * nginx and the replica one CPU each (the e2e tier's quarter CPU throttles nginx under the
 * bursts autocannon sends; prod gives them 2 and 4); more CPU and memory for Postgres and
 * the backup job so that a 1 GB database can be generated, dumped and restored in minutes; scheduled dumps once a day so none runs during a measurement (the
 * backup container still takes one at start, of a nearly empty database).
 *
 * The replicas keep the e2e file's single uvicorn worker: with several, the stand-in's uvicorn
 * 0.17 (Debian 12) accepts connections on a shared socket without TCP_NODELAY, and every
 * request after the first on a keep-alive connection stalls ~40 ms (Nagle against delayed
 * ACKs), which would make the direct side of the proxy comparison measure that instead.
 */
export const BENCH_OVERRIDES: ConfigOverrides = {
  nginx: {
    rateLimit: { ratePerSecond: 100000, burst: 100000, nodelay: true },
    resources: { cpus: 1, memoryMiB: 256, reservedCpus: 0.1, reservedMemoryMiB: 32 },
  },
  orchestrator: {
    directHostPort: DIRECT_PORT,
    resources: { cpus: 1, memoryMiB: 512, reservedCpus: 0.1, reservedMemoryMiB: 96 },
  },
  postgres: { maxConnections: 60, resources: { cpus: 1.5, memoryMiB: 1024, reservedCpus: 0.1, reservedMemoryMiB: 96 } },
  backup: { interval: "24h", resources: { cpus: 1.5, memoryMiB: 512, reservedCpus: 0.1, reservedMemoryMiB: 64 } },
};

/**
 * What an earlier measurement changed for good (the orchestrator image after an upgrade, the
 * rotation counters): every later update must carry it, since each takes the whole set of
 * overrides and an older image cannot migrate a newer schema back.
 */
let carried: ConfigOverrides = {};

/** Keeps `change` in every later benchConfig(). */
export function carry(change: ConfigOverrides): void {
  carried = deepMerge(carried, change) as ConfigOverrides;
}

/** BENCH_OVERRIDES, what was carried, and a change (each update takes the whole set of overrides). */
export function benchConfig(change: ConfigOverrides = {}): ConfigOverrides {
  return deepMerge(deepMerge(BENCH_OVERRIDES, carried), change) as ConfigOverrides;
}

/** The name nginx answers to (SNI and Host): any other, a bare 127.0.0.1 included, is dropped. */
export const NGINX_SERVER_NAME = e2eSettings().nginx.serverName;
export const NGINX_TRIALS_URL = `https://127.0.0.1:${e2eSettings().nginx.httpsPort}${TRIALS_PATH}`;
export const NGINX_HEALTH_URL = `https://127.0.0.1:${e2eSettings().nginx.httpsPort}/health`;
export const DIRECT_TRIALS_URL = `http://127.0.0.1:${DIRECT_PORT}${TRIALS_PATH}`;

/** An Authorization header the orchestrator accepts: HS256 with the stack's generated key. */
export function authorization(stack: EngineStack): Record<string, string> {
  return { authorization: `Bearer ${shortLivedToken("bench", stackJwtKey(stack), 3 * 3600)}` };
}

/** Progress on stderr, unbuffered (jest holds console output until a test ends). */
export function progress(line: string): void {
  process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${line}\n`);
}
