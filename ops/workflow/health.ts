import { z } from "zod";
import { BACKUP_DIR } from "../../components/backup";
import type { OpsContext } from "../context";
import { messageOf } from "../errors";
import type { ContainerState } from "../ports";
import { type DeployedOutputs, probeUrl } from "./outputs";

/** One live check and what it found. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /** Not failed yet, but not settled either (a container whose first healthcheck is pending). */
  readonly settling?: boolean;
}

/** The label the backup component puts its schedule in (components/backup.ts). */
const INTERVAL_LABEL = "dean.backup.interval-seconds";

const backupStatusSchema = z.object({
  newestGoodDump: z.string().nullable(),
  newestGoodDumpEpoch: z.number().nullable(),
  lastResult: z.string(),
  lastError: z.string().nullable(),
});

/** 3725 -> "1h 2m": ages are read by people deciding whether to worry. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

async function httpCheck(ctx: OpsContext, outputs: DeployedOutputs): Promise<Check> {
  const url = probeUrl(outputs);
  if (!url) return { name: "GET /health", ok: true, detail: `skipped: ${outputs.publicUrl ?? "no public URL"}` };
  try {
    const response = await ctx.docker.httpGet(url);
    return { name: "GET /health", ok: response.status === 200, detail: `${url} -> HTTP ${response.status}` };
  } catch (error) {
    return { name: "GET /health", ok: false, detail: `${url}: ${messageOf(error)}` };
  }
}

function containerCheck(role: string, state: ContainerState): Check {
  const name = `container ${role}`;
  if (!state.exists) return { name, ok: false, detail: `${state.name} does not exist` };
  if (state.status !== "running") return { name, ok: false, detail: `${state.name} is ${state.status}` };
  // Docker turns "starting" into healthy or unhealthy on its own; until then it is no failure.
  // The backup job's first check may come minutes after a replacement (its interval is long).
  if (state.health === "starting") return { name, ok: true, settling: true, detail: `${state.name} running, first healthcheck pending` };
  // Every container the program declares has a healthcheck; "none" means someone replaced it.
  const ok = state.health === "healthy" || state.health === "none";
  return { name, ok, detail: `${state.name} running, ${state.health === "none" ? "no healthcheck" : state.health}` };
}

async function backupAgeCheck(ctx: OpsContext, state: ContainerState): Promise<Check> {
  const name = "newest good backup";
  if (!state.exists || state.status !== "running") return { name, ok: false, detail: `cannot read it: ${state.name} is not running` };
  const result = await ctx.docker.exec(state.name, ["cat", `${BACKUP_DIR}/status.json`]);
  if (result.exitCode !== 0) return { name, ok: false, detail: `no ${BACKUP_DIR}/status.json yet (${result.stderr.trim() || `exit ${result.exitCode}`})` };
  let status: z.infer<typeof backupStatusSchema>;
  try {
    status = backupStatusSchema.parse(JSON.parse(result.stdout));
  } catch (error) {
    return { name, ok: false, detail: `unreadable ${BACKUP_DIR}/status.json: ${messageOf(error)}` };
  }
  if (status.newestGoodDump === null || status.newestGoodDumpEpoch === null) {
    return { name, ok: false, detail: `no verified dump yet (last run: ${status.lastResult}${status.lastError ? `: ${status.lastError}` : ""})` };
  }
  const age = ctx.clock.now().getTime() / 1000 - status.newestGoodDumpEpoch;
  const interval = Number(state.labels[INTERVAL_LABEL]);
  // The same limit as the container's own healthcheck (dean-backup healthcheck): two intervals.
  const limit = Number.isFinite(interval) && interval > 0 ? 2 * interval : undefined;
  const ok = limit === undefined || age <= limit;
  const lastFailure = status.lastResult === "failure" ? `; the last run failed: ${status.lastError ?? "see its logs"}` : "";
  return { name, ok, detail: `${status.newestGoodDump}, ${formatAge(age)} old${limit ? ` (limit ${formatAge(limit)})` : ""}${lastFailure}` };
}

/** GET /health through nginx, each container's health, and the age of the newest good backup. */
export async function liveChecks(ctx: OpsContext, outputs: DeployedOutputs): Promise<Check[]> {
  const containers = outputs.containers;
  if (!containers) return [{ name: "stack outputs", ok: false, detail: "no `containers` output: has this stack been deployed (dean-ops history)?" }];
  const roles: [string, string][] = [
    ["postgres", containers.postgres],
    ["redis", containers.redis],
    ["nginx", containers.nginx],
    ...containers.orchestrator.map((name, index): [string, string] => [`orchestrator ${index + 1}`, name]),
  ];
  if (containers.backup) roles.push(["backup", containers.backup]);
  const states = await Promise.all(roles.map(([, name]) => ctx.docker.inspect(name)));
  const checks: Check[] = [await httpCheck(ctx, outputs), ...roles.map(([role], index) => containerCheck(role, states[index]))];
  if (containers.backup) {
    checks.push(await backupAgeCheck(ctx, states[states.length - 1]));
  } else {
    checks.push({ name: "newest good backup", ok: true, detail: "skipped: backups are disabled (dean:backup.enabled)" });
  }
  return checks;
}

/**
 * Polls after an update until every check passes and has settled, or the time is up: a
 * replaced container or nginx reloading may take a moment.
 */
export async function waitUntilHealthy(ctx: OpsContext, outputs: DeployedOutputs, timeoutSeconds: number, pollSeconds = 5): Promise<Check[]> {
  const deadline = ctx.clock.now().getTime() + timeoutSeconds * 1000;
  for (;;) {
    const checks = await liveChecks(ctx, outputs);
    const settled = checks.every((check) => check.ok && !check.settling);
    if (settled || ctx.clock.now().getTime() >= deadline) return checks;
    await ctx.clock.sleep(pollSeconds * 1000);
  }
}

export function renderChecks(checks: readonly Check[]): string {
  return checks.map((check) => `  ${!check.ok ? "FAIL" : check.settling ? "wait" : "ok  "}  ${check.name}: ${check.detail}`).join("\n");
}
