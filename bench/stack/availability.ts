import { UPSTREAM_CONNECT_TIMEOUT_SECONDS, UPSTREAM_DNS_CACHE_SECONDS } from "../../components/render/nginx-conf";
import type { EngineStack } from "../../tools/stack-driver/engine-stack";
import { docker } from "../../tools/stack-driver/docker-client";
import { e2eInstanceName } from "../../tools/stack-driver/stack-config";
import { serviceContainers, waitForHealth } from "../../tools/stack-driver/containers";
import { sleep } from "../../tools/stack-driver/wait";
import { runKeepAliveLoad } from "../keepalive-load";
import { answered, failedRequests } from "../load";
import type { AvailabilityPhase, AvailabilityPhaseName, AvailabilityResult, AvailabilityRun } from "../results";
import type { ConfigOverrides } from "../../tools/stack-driver/stack-config";
import { latencyFigures } from "../stats";
import { authorization, benchConfig, carry, NGINX_HEALTH_URL, NGINX_SERVER_NAME, NGINX_TRIALS_URL, progress } from "./bench-stack";

/**
 * Benchmark 4: failed requests (non-2xx non-429, or no answer) under a steady 20 r/s through
 * nginx, rate limit lifted, while the stack scales 1 -> 3 replicas, one of the three is
 * restarted, the orchestrator is upgraded and each credential rotated, it scales back 3 -> 1,
 * and then, at 1 replica, nginx's own config changes four times (maintenance on and off, an
 * address blocked and unblocked; each a reload of the same container). All by real `pulumi up`
 * except the restart. Load runs a few seconds before and after each change; the slowest answer
 * of each change is compared with the p99 of the same load with no change.
 */

/** RFC 5737 documentation address: no traffic here comes from it, so blocking it changes nginx.conf and nothing else. */
const UNUSED_ADDRESS = "192.0.2.1";

const RATE = 20;
/** Several connections so that one slow request does not hold back the rest of the load. */
const CONNECTIONS = 4;
const LEAD_MS = 3000;
const TAIL_MS = 5000;
/** The longest a phase's load may run whatever happens to the change. */
const MAX_PHASE_SECONDS = 240;
const HEALTHY_WITHIN_MS = 120_000;
/** The no-change load whose p99 each change's slowest answer is compared with. */
const STEADY_SECONDS = 15;
/** The stand-in releases an upgrade goes to: run n deploys 1.0.n (scripts/setup-test-host.sh builds them). */
const upgradeImage = (run: number): string => `dean-local/orchestrator:1.0.${run}`;

/**
 * Where a phase's load goes: the API with a token, or /health without one (a JWT rotation
 * refuses the old token by design, and maintenance answers 503 everywhere but /health).
 */
interface Target {
  readonly url: string;
  readonly headers: Record<string, string>;
}

async function underLoad(stack: EngineStack, phase: AvailabilityPhaseName, change: () => Promise<void>, target: Target = { url: NGINX_TRIALS_URL, headers: authorization(stack) }): Promise<AvailabilityPhase> {
  let stopLoad: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stopLoad = resolve;
  });
  const load = runKeepAliveLoad({ url: target.url, serverName: NGINX_SERVER_NAME, rate: RATE, seconds: MAX_PHASE_SECONDS, connections: CONNECTIONS, headers: target.headers, until: stopped });
  await sleep(LEAD_MS);
  const started = Date.now();
  let operationSeconds = 0;
  try {
    await change();
    operationSeconds = (Date.now() - started) / 1000;
    await sleep(TAIL_MS);
  } catch (error) {
    // The change failed: end the load before reporting it, so nothing keeps running.
    stopLoad();
    await load.catch(() => undefined);
    throw error;
  }
  stopLoad();
  const result = await load;
  const maxLatencyMs = result.latenciesMs.reduce((max, value) => Math.max(max, value), 0);
  return {
    phase,
    operationSeconds,
    requests: result.completed,
    answered: answered(result),
    failed: failedRequests(result),
    statuses: result.statuses,
    errors: result.errors,
    unanswered: result.unanswered,
    maxLatencyMs,
    failureWindowSeconds: result.failureWindowSeconds,
  };
}

/** Restarts one replica (the last by name) and waits until Docker reports it healthy again. */
async function restartOneReplica(): Promise<void> {
  const replicas = await serviceContainers(e2eInstanceName(), "orchestrator");
  if (replicas.length !== 3) throw new Error(`expected 3 running replicas before the restart, found ${replicas.length}`);
  const target = replicas[replicas.length - 1];
  await docker().getContainer(target.id).restart();
  await waitForHealth(target.id, "healthy", HEALTHY_WITHIN_MS);
}

/** p99 (ms) of the same load with no change running. */
async function steadyP99(stack: EngineStack): Promise<number> {
  const result = await runKeepAliveLoad({ url: NGINX_TRIALS_URL, serverName: NGINX_SERVER_NAME, rate: RATE, seconds: STEADY_SECONDS, connections: CONNECTIONS, headers: authorization(stack) });
  if (failedRequests(result) > 0) throw new Error(`the steady load before the changes failed ${failedRequests(result)} requests: the stack is not healthy`);
  return latencyFigures(result.latenciesMs).p99;
}

/** Expects the stack at 1 replica (BENCH_OVERRIDES) and leaves it there, upgraded and rotated `runs` times. */
export async function measureAvailability(stack: EngineStack, runs: number): Promise<AvailabilityResult> {
  const results: AvailabilityRun[] = [];
  const health: Target = { url: NGINX_HEALTH_URL, headers: {} };
  /** A stack update with `change` for this one update only (the next update drops it). */
  const deploy = (change: ConfigOverrides) => async () => {
    await stack.update(benchConfig(change));
  };
  /** A stack update at 3 replicas that makes `change` stick for later updates. */
  const lasting = (change: ConfigOverrides) => async () => {
    carry(change);
    await stack.update(benchConfig({ orchestrator: { replicas: 3 } }));
  };
  for (let run = 1; run <= runs; run++) {
    const steadyP99Ms = await steadyP99(stack);
    // Upgrade and rotations run at 3 replicas: the bench publishes replica 1 on a host port
    // (for the proxy comparison), which makes replica 1 delete-first, and at 1 replica that
    // alone would take the API down; the others serve while it is replaced.
    const phases = [
      await underLoad(stack, "scale 1 -> 3", deploy({ orchestrator: { replicas: 3 } })),
      await underLoad(stack, "restart 1 of 3 replicas", restartOneReplica),
      await underLoad(stack, "upgrade", lasting({ images: { orchestrator: upgradeImage(run) } })),
      await underLoad(stack, "rotate database", lasting({ rotation: { database: run } })),
      await underLoad(stack, "rotate redis", lasting({ rotation: { redis: run } })),
      // Tokens signed with the old key are refused once the new replicas serve: that is the
      // rotation working, so this load asks /health (database and Redis behind it), no token.
      await underLoad(stack, "rotate jwt", lasting({ rotation: { jwt: run } }), health),
      await underLoad(stack, "scale 3 -> 1", deploy({})),
    ];
    // At 1 replica, so that a reload has no other replica to hide behind. Maintenance answers
    // 503 everywhere but /health by design, so that load asks /health. Each run blocks and
    // unblocks, and turns maintenance off again: every run starts with nginx's default config.
    const edgeChanges = [
      await underLoad(stack, "maintenance on", deploy({ nginx: { maintenance: true } }), health),
      await underLoad(stack, "maintenance off", deploy({ nginx: { maintenance: false } }), health),
      await underLoad(stack, "block an address", deploy({ nginx: { blockedIps: [UNUSED_ADDRESS] } })),
      await underLoad(stack, "unblock it", deploy({ nginx: { blockedIps: [] } })),
    ];
    results.push({ steadyP99Ms, phases, edgeChanges });
    const summary = (p: AvailabilityPhase) => `${p.phase}: ${p.failed} failed of ${p.requests} (${p.operationSeconds.toFixed(1)} s)`;
    progress(`availability run ${run}: ${[...phases, ...edgeChanges].map(summary).join("; ")}`);
  }
  return {
    ratePerSecond: RATE,
    connections: CONNECTIONS,
    nginx: { dnsCacheSeconds: UPSTREAM_DNS_CACHE_SECONDS, connectTimeoutSeconds: UPSTREAM_CONNECT_TIMEOUT_SECONDS },
    runs: results,
  };
}
