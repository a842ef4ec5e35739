import { mergeStatuses, statusList, summaryCells, table } from "./markdown";
import type { AvailabilityPhase, AvailabilityPhaseName, AvailabilityResult, BenchResults, EdgeChange, MachineInfo, ProxyPath, ReplicaChange, Section } from "./results";
import { median, summarize } from "./stats";
import { changesOf, checkTargets, slowestRatios, type TargetCheck, type TargetId } from "./targets";

/**
 * docs/benchmarks.md from the raw results: a min / median / max table per figure, the machine,
 * the date, the targets with a plain verdict, and why a missed target is missed.
 */

const MIB = 2 ** 20;
const REPLICA_CHANGES: readonly ReplicaChange[] = ["scale 1 -> 3", "restart 1 of 3 replicas", "scale 3 -> 1", "upgrade", "rotate database", "rotate redis", "rotate jwt"];
const EDGE_CHANGES: readonly EdgeChange[] = ["maintenance on", "maintenance off", "block an address", "unblock it"];

/** The changes these results measured, in report order (older results have no upgrade or rotation phases). */
function measuredChanges(result: AvailabilityResult, names: readonly AvailabilityPhaseName[] = [...REPLICA_CHANGES, ...EDGE_CHANGES]): AvailabilityPhaseName[] {
  return names.filter((change) => result.runs.some((run) => changesOf(run).some((p) => p.phase === change)));
}

function stamp(section: Section<unknown>): string {
  return `Measured ${section.measuredAt.slice(0, 16).replace("T", " ")} UTC, ${section.runs} runs, 1-minute load average ${section.machine.loadAverage} at the start.`;
}

function row(label: string, values: readonly number[], digits: number): string[] {
  return [label, ...summaryCells(summarize(values), digits)];
}

function machineSection(results: BenchResults): string {
  const machinesMeasured = [results.plan, results.proxy, results.rateLimit, results.availability, results.backup].flatMap((section) => (section ? [section.machine] : []));
  const machines = new Map<string, MachineInfo>();
  // The same machine at a different load is still one machine.
  for (const machine of machinesMeasured) machines.set(JSON.stringify({ ...machine, loadAverage: 0 }), machine);
  const rows = [...machines.values()].map((m) => [m.cpuModel, String(m.cores), `${m.memoryGiB} GiB`, m.os, m.kernel, m.node, m.dockerEngine]);
  return [
    "## Machine",
    "",
    table(["CPU", "cores", "memory", "OS", "kernel", "Node.js", "Docker engine"], rows),
    "",
    "Every container runs on the same 2-core machine as the load generator and what deploys the stack (the real Pulumi engine for sections measured from 2026-12-03 on; sections measured before used the project's former home-made deploy harness, whose replacement steps differed), so the figures include that contention; they compare paths and configurations on one machine, they are not capacity figures for production hardware.",
  ].join("\n");
}

function targetsSection(checks: readonly TargetCheck[]): string {
  const verdict = (check: TargetCheck) => (check.verdict === "met" ? "met" : check.verdict === "missed" ? "**MISSED**" : "not measured");
  return ["## Targets (issue 6)", "", table(["target", "measured (median of runs)", "verdict"], checks.map((check) => [check.target, check.measured, verdict(check)]))].join("\n");
}

function planSection(results: BenchResults): string {
  const plan = results.plan;
  if (!plan) return "## 1. Plan cost\n\nNot measured in this report.";
  const { result } = plan;
  const rows = result.points.map((point) =>
    point.wallSeconds && point.peakRssMiB
      ? [String(point.replicas), ...summaryCells(point.wallSeconds, 2), ...summaryCells(point.peakRssMiB, 0)]
      : [String(point.replicas), `refused: ${point.refused ?? "?"}`, "", "", "", "", ""],
  );
  return [
    "## 1. Plan cost",
    "",
    stamp(plan),
    "",
    "The offline plan + policy check (`npm run policy -- --stack prod --stack-file <file>`, the CI gate) for `Pulumi.prod.yaml` with `dean:orchestrator.replicas` set to each count (and `max_connections` raised to fit the connection budget), one fresh process per run: evaluation of the program under Pulumi's mocks plus the policy pack's analyzer in its own Node process. Wall time from the host, peak memory is GNU time's maximum resident set of the largest process.",
    "",
    table(["replicas", "wall min (s)", "wall median (s)", "wall max (s)", "peak RSS min (MiB)", "median (MiB)", "max (MiB)"], rows),
    "",
    `Least-squares fit over the medians: **${(result.slopeSecondsPerReplica * 1000).toFixed(1)} ms per extra replica** (r² ${result.r2.toFixed(2)}).`,
    "",
    "Start-up every check pays before it plans anything, measured alone:",
    "",
    table(["start-up component", "min (s)", "median (s)", "max (s)"], [
      ["tsx starting (`tsx -e 0`)", ...summaryCells(result.startup.tsxSeconds, 2)],
      ["Node loading @pulumi/pulumi and the 4 provider SDKs", ...summaryCells(result.startup.sdkLoadSeconds, 2)],
    ]),
  ].join("\n");
}

const PATH_LABELS: Record<ProxyPath, string> = {
  nginx: "through nginx (HTTPS)",
  direct: "direct to replica 1 (HTTP)",
};

function proxySection(results: BenchResults): string {
  const proxy = results.proxy;
  if (!proxy) return "## 2. Proxy overhead\n\nNot measured in this report.";
  const { result } = proxy;
  const rows: string[][] = [];
  for (const path of ["nginx", "direct"] as const) {
    for (const figure of ["p50", "p95", "p99", "average"] as const) {
      rows.push(row(`${PATH_LABELS[path]}: ${figure}`, result.runs.map((run) => run.latency[path][figure]), 2));
    }
  }
  rows.push(row("p95 nginx / p95 direct", result.runs.map((run) => run.p95Ratio), 2));
  const samples = result.runs.map((run) => run.latency.nginx.count);
  return [
    "## 2. Proxy overhead",
    "",
    stamp(proxy),
    "",
    `\`GET ${result.path}\` with a valid JWT at ${result.ratePerSecond} r/s for ${result.seconds} s per path and run (autocannon, ${result.connections} keep-alive connection, so requests never queue behind each other; TLS is set up once per run), the rate limit lifted, paths in alternating order. The replica runs one uvicorn worker. Latency in ms, per run computed from every response (${Math.min(...samples)}-${Math.max(...samples)} responses through nginx per run); the table gives min / median / max of those per-run figures.`,
    "",
    table(["figure (ms)", "min", "median", "max"], rows),
    "",
    "nginx reuses its connections to the replicas (an `upstream` block listing each replica by name with `resolve`, and a pool of idle keep-alive connections, `dean:nginx.upstreamKeepalive`), so a request does not pay for a new TCP connection to the replica; TLS towards the client, the proxying and the JSON access-log line are what the nginx path adds. The stand-in's uvicorn sets TCP_NODELAY on its listening socket: uvicorn 0.17 with more than one worker leaves Nagle's algorithm on for the connections it accepts (uvicorn issue #3149), and every request after the first on a kept connection would wait ~44 ms. The real orchestrator needs the same before nginx keeps connections to it (or `dean:nginx.upstreamKeepalive: 0`).",
  ].join("\n");
}

function rateLimitSection(results: BenchResults): string {
  const limit = results.rateLimit;
  if (!limit) return "## 3. Rate-limit precision\n\nNot measured in this report.";
  const { result } = limit;
  const runs = result.runs;
  return [
    "## 3. Rate-limit precision",
    "",
    stamp(limit),
    "",
    `nginx's general API limit at ${result.limitPerSecond} r/s, burst ${result.burst}, nodelay (the e2e stack's own setting, deployed for this benchmark), against ${result.clientRatePerSecond} r/s from one client for ${result.seconds} s (autocannon, one connection: each second's ${result.clientRatePerSecond} requests are sent back to back). Expected admitted: burst + rate x t = ${result.burst} + ${result.limitPerSecond} x ${result.seconds} = **${result.expected}**. The bucket drains fully between runs.`,
    "",
    table(["figure", "min", "median", "max"], [
      row("admitted (not 429)", runs.map((run) => run.admitted), 0),
      row("rejected (429)", runs.map((run) => run.rejected), 0),
      row("requests", runs.map((run) => run.requests), 0),
      row("admitted - expected", runs.map((run) => run.offBy), 0),
    ]),
  ].join("\n");
}

function phaseRows(label: string, phases: readonly AvailabilityPhase[], steadyP99Ms?: readonly number[]): string[][] {
  const rows = [
    row(`${label}: failed requests`, phases.map((p) => p.failed), 0),
    row(`${label}: requests`, phases.map((p) => p.requests), 0),
    row(`${label}: change duration (s)`, phases.map((p) => p.operationSeconds), 1),
    row(`${label}: slowest answer (ms)`, phases.map((p) => p.maxLatencyMs), 0),
  ];
  // The same run's steady p99 (no change running) against this phase's slowest answer.
  if (steadyP99Ms) rows.push(row(`${label}: slowest / steady p99`, phases.map((p, index) => p.maxLatencyMs / steadyP99Ms[index]), 1));
  return rows;
}

function sum(phases: readonly AvailabilityPhase[], key: "errors"): number {
  return phases.reduce((total, phase) => total + phase[key], 0);
}

/** Answers delayed by nginx's connect timeout after a scale-down: not failures, but worth knowing. */
function slowScaleDown(result: AvailabilityResult): string[] {
  const phases = result.runs.flatMap((run) => run.phases.filter((p) => p.phase === "scale 3 -> 1"));
  const { connectTimeoutSeconds } = result.nginx;
  const threshold = Math.max(1000, 0.8 * connectTimeoutSeconds * 1000);
  const slow = phases.filter((p) => p.maxLatencyMs >= threshold);
  if (slow.length === 0) return [];
  const slowest = Math.max(...slow.map((p) => p.maxLatencyMs));
  return [
    "",
    `Scaling down failed no request, but in ${slow.length} of ${phases.length} runs some answers took up to ${(slowest / 1000).toFixed(1)} s. Removed replicas leave nginx's upstream by a reload before they stop, so no new request should go to one; an answer near \`proxy_connect_timeout ${connectTimeoutSeconds}s\` (as rendered for these runs) means a request still went to an address that no longer answered. Check in that update's steps that dean-nginx-reload ran before the replicas were deleted.`,
  ];
}

function availabilitySection(results: BenchResults): string {
  const availability = results.availability;
  if (!availability) return "## 4. Availability during change\n\nNot measured in this report.";
  const { result } = availability;
  const rows = [
    row("steady p99, no change (ms)", result.runs.map((run) => run.steadyP99Ms), 1),
    ...measuredChanges(result).flatMap((change) => {
      const runs = result.runs.filter((run) => changesOf(run).some((p) => p.phase === change));
      return phaseRows(change, runs.flatMap((run) => changesOf(run).filter((p) => p.phase === change)), runs.map((run) => run.steadyP99Ms));
    }),
  ];
  const replica = result.runs.flatMap((run) => run.phases);
  const edge = result.runs.flatMap((run) => run.edgeChanges);
  const statuses = (phases: readonly AvailabilityPhase[]) => statusList(mergeStatuses(phases.map((p) => p.statuses)));
  return [
    "## 4. Availability during change",
    "",
    stamp(availability),
    "",
    `A steady ${result.ratePerSecond} r/s through nginx (rate limit lifted, ${result.connections} keep-alive connections of Node's HTTP client, requests spaced evenly, 10 s request timeout) from 3 s before each change until 5 s after it finished. Failed = a response other than 2xx or 429, or a connection error or timeout (a request on a connection the server reset counts). The client opens a new connection after an answer that says \`Connection: close\`, as RFC 9112 requires and browsers, curl and Node do; autocannon, used for sections 2 and 3, writes its next request on that connection anyway and loses it (bench/keepalive-load.ts), which made each nginx reload cost it one request per connection. Each run first measures the same load with no change (its p99 is the "steady p99"), then, each a real \`pulumi up\` unless said otherwise: scales 1 -> 3 replicas, restarts one of the three (\`docker restart\`, until healthy), upgrades the orchestrator to the next stand-in release (run n deploys \`1.0.n\`: pre-upgrade backup, migration, new replicas created and healthy before the old ones go), rotates the database credential (ALTER ROLE, new replicas), the Redis password (added to Redis' ACL beside the old one, new replicas, then the old one removed; Redis keeps running) and the JWT key (new replicas, then the logout; this load asks \`/health\`, since tokens of the old key are refused by design), all at 3 replicas, and scales 3 -> 1. The bench publishes replica 1 on a host port for the proxy comparison, which makes replica 1 delete-first; at 3 replicas the other two serve meanwhile.`,
    "",
    "Then, at 1 replica, nginx's own config changes four times: maintenance on and off again (this load asks `/health`, the one route maintenance does not answer with 503 by design), and a deny rule for 192.0.2.1 (a documentation address no traffic here comes from) added and removed again. Each is a reload of the same nginx container: a checked config release (`nginx -t`), then SIGHUP; the container is not replaced, the listening sockets stay open, in-flight requests finish and the old workers answer the next request on each kept connection with `Connection: close` before they exit (`keepalive_min_timeout`). The replica changes reload nginx too: its upstream lists each replica by name, and replicas leave it before they stop. Each run therefore starts with maintenance off and an empty deny list.",
    "",
    table(["figure", "min", "median", "max"], rows),
    "",
    `Status codes over every replica change: ${statuses(replica)}; connection errors and timeouts: ${sum(replica, "errors")}.` +
      (edge.length === 0 ? "" : ` Over every nginx config change: ${statuses(edge)}; connection errors and timeouts: ${sum(edge, "errors")}.`),
    ...slowScaleDown(result),
  ].join("\n");
}

function backupSection(results: BenchResults): string {
  const backup = results.backup;
  if (!backup) return "## 5. Backup cost\n\nNot measured in this report.";
  const { result } = backup;
  const runs = result.runs;
  return [
    "## 5. Backup cost",
    "",
    stamp(backup),
    "",
    `The application database filled to ${(result.databaseBytes / MIB).toFixed(0)} MiB (\`pg_database_size\`, ${result.tableRows.toLocaleString("en")} rows of trial-like data with a primary key). Both dumps run in the backup container (same image, CPU and memory limits, same disk), alternating which goes first: a bare \`pg_dump --format=custom\`, and the job's \`dean-backup now\` (table count, dump, verify-by-restore into a scratch database, sha256 marker). \`dean-backup verify <dump>\` alone gives the verify-by-restore time; the job's dump part is the job minus that, an estimate from two separate executions (page cache and the machine's noise move it by about 10%): a ratio near 1 means the job adds nothing measurable to pg_dump itself, and what the job costs over a bare dump is its verification.`,
    "",
    table(["figure", "min", "median", "max"], [
      row("bare pg_dump -Fc (s)", runs.map((r) => r.bareSeconds), 1),
      row("dean-backup now, whole job (s)", runs.map((r) => r.jobSeconds), 1),
      row("verify-by-restore (s)", runs.map((r) => r.verifySeconds), 1),
      row("job's dump part / bare pg_dump", runs.map((r) => r.dumpRatio), 2),
      row("whole job / bare pg_dump", runs.map((r) => r.jobRatio), 2),
      row("bare dump size (MiB)", runs.map((r) => r.bareBytes / MIB), 0),
      row("job dump size (MiB)", runs.map((r) => r.jobBytes / MIB), 0),
    ]),
  ].join("\n");
}

/** One paragraph per missed target: the figures behind it and the reason. */
function missedExplanations(results: BenchResults, checks: readonly TargetCheck[]): string[] {
  const missedIds = new Set(checks.filter((check) => check.verdict === "missed").map((check) => check.id));
  const missed = { has: (id: TargetId) => missedIds.has(id) };
  const paragraphs: string[] = [];
  const plan = results.plan?.result;
  const atThree = plan?.points.find((point) => point.replicas === 3)?.wallSeconds;
  if (plan && atThree && missed.has("planAtThree")) {
    const startup = plan.startup.tsxSeconds.median + plan.startup.sdkLoadSeconds.median;
    paragraphs.push(`**Plan cost at 3 replicas (${atThree.median.toFixed(2)} s against 2 s).** Most of it is start-up, not planning: tsx starting takes ${plan.startup.tsxSeconds.median.toFixed(2)} s and Node loading @pulumi/pulumi and the provider SDKs ${plan.startup.sdkLoadSeconds.median.toFixed(2)} s (medians), ${startup.toFixed(2)} s before the program runs, and the policy pack's analyzer is a second Node process that loads @pulumi/policy and @pulumi/pulumi again (it boots while the program is evaluated); each extra replica adds only ${(plan.slopeSecondsPerReplica * 1000).toFixed(0)} ms. On this machine the start-up alone is near the budget: running the check from compiled JavaScript with plain Node would save the tsx start and bring it near, probably not under, 2 s; under 2 s needs the SDKs and the analyzer loaded once for many checks (a long-lived checker in CI). A real \`pulumi preview\` adds the CLI and provider plugins on top, so this offline check stays the cheap gate.`);
  }
  if (missed.has("planGrowth") && plan) {
    paragraphs.push("**Growth in replicas.** The cost per extra replica between the two largest counts is more than twice the slope over the smaller counts: the growth accelerates; see the table for the shape.");
  }
  const proxy = results.proxy?.result;
  if (proxy && missed.has("proxyRatio")) {
    const nginxP95 = median(proxy.runs.map((run) => run.latency.nginx.p95));
    const directP95 = median(proxy.runs.map((run) => run.latency.direct.p95));
    paragraphs.push(`**Proxy overhead (p95 x${median(proxy.runs.map((run) => run.p95Ratio)).toFixed(2)}).** Through nginx the p95 is ${nginxP95.toFixed(2)} ms against ${directP95.toFixed(2)} ms straight to the replica: nginx adds about ${(nginxP95 - directP95).toFixed(2)} ms at p95 (TLS towards the client, the proxying, a JSON access-log line; upstream connections are reused), which is more than 10% of a request that costs the stand-in replica a few milliseconds. Against the runbook's bar the cost is small (see the average).`);
  }
  if (proxy && missed.has("proxyAverage")) {
    paragraphs.push(`**Average latency through nginx (${median(proxy.runs.map((run) => run.latency.nginx.average)).toFixed(1)} ms) is above the runbook's 200 ms.**`);
  }
  const limit = results.rateLimit?.result;
  if (limit && missed.has("rateLimit")) {
    paragraphs.push(`**Rate-limit precision.** Admitted per run: ${limit.runs.map((run) => run.admitted).join(", ")} against ${limit.expected}. nginx tracks the bucket in milliseconds and refills it continuously, so how the client's send times fall against the refill decides the last request either way.`);
  }
  const availability = results.availability?.result;
  if (availability && missed.has("availability")) {
    const byChange = measuredChanges(availability).map((change) => {
      const phases = availability.runs.flatMap((run) => changesOf(run).filter((p) => p.phase === change));
      return `${change}: ${phases.map((p) => p.failed).join(", ")} failed per run (${statusList(mergeStatuses(phases.map((p) => p.statuses)))})`;
    });
    paragraphs.push(`**Failures during changes.** ${byChange.join("; ")}.`);
    const redis = availability.runs.flatMap((run) => run.phases.filter((p) => p.phase === "rotate redis"));
    if (redis.some((p) => p.failed > 0)) {
      paragraphs.push("**Redis rotation.** The rotation keeps Redis running: the new password is added to its ACL beside the old one, the replicas are replaced with the new REDIS_URL, then the old replicas stop and the old password is removed, so every replica can authenticate throughout. Failures here mean that order broke or Redis went away: a replica that could not authenticate (a new one started before its password was in the ACL, or an old one still served after the old password was removed), or Redis itself restarting (a crash, or its container restarted), during which the API answers 503 (and a replica mid-restart 502). Redis' start time and ACL log (`ACL LOG`) for the run tell which.");
    }
  }
  if (availability && missed.has("slowestVsSteady")) {
    const over = slowestRatios(availability.runs).filter(({ ratio }) => ratio > 2);
    const { dnsCacheSeconds, connectTimeoutSeconds } = availability.nginx;
    const slowestMs = Math.max(...availability.runs.flatMap((run) => changesOf(run).map((phase) => phase.maxLatencyMs)));
    const cause = slowestMs >= 0.5 * connectTimeoutSeconds * 1000
      ? `a slowest answer near \`proxy_connect_timeout ${connectTimeoutSeconds}s\` means a request still went to an address that no longer answered (the resolver keeps addresses ${dnsCacheSeconds} s).`
      : `no answer came near \`proxy_connect_timeout ${connectTimeoutSeconds}s\` (the slowest of all took ${slowestMs.toFixed(0)} ms), so no request waited on a replica that went away: these are answers slowed while the update does its own work (new containers starting, the migration and the backup, the Pulumi engine) on the same cores as the stack and the load.`;
    paragraphs.push(`**Slowest answer against the steady p99.** Median over runs of slowest answer / steady p99: ${over.map(({ change, ratio }) => `${change} x${ratio.toFixed(2)}`).join(", ")} (at most x2). Each of these changes removes replicas, which leave nginx's upstream by a reload before they stop; ${cause}`);
  }
  return paragraphs;
}

export function renderReport(results: BenchResults, generatedAt: Date): string {
  const checks = checkTargets(results);
  const explanations = missedExplanations(results, checks);
  return [
    "# Benchmarks",
    "",
    `Written by \`npm run bench\` on ${generatedAt.toISOString().slice(0, 10)} (do not edit by hand; the raw runs are in [benchmarks.json](benchmarks.json)). Every load goes to 127.0.0.1 only and is bounded in rate and time. Each figure is given as min / median / max over the runs; targets are judged on the median.`,
    "",
    machineSection(results),
    "",
    targetsSection(checks),
    "",
    "### Where a target is missed, and why",
    "",
    explanations.length === 0 ? "Every measured target is met." : explanations.join("\n\n"),
    "",
    planSection(results),
    "",
    proxySection(results),
    "",
    rateLimitSection(results),
    "",
    availabilitySection(results),
    "",
    backupSection(results),
    "",
  ].join("\n");
}
