import { diffConfig } from "../config/diff";
import type { OpsContext } from "../context";
import { ExitCode } from "../errors";
import { renderConfigChanges, SECRET_MASK } from "../format/config-diff";
import { formatTime } from "../format/time";
import type { ConfigValues, OutputEntry, StackUpdate } from "../ports";
import { type Check, liveChecks, renderChecks } from "../workflow/health";
import { readOutputs } from "../workflow/outputs";
import { positional } from "./arguments";
import type { Command } from "./command";

function showOutput(entry: OutputEntry): string {
  if (entry.secret) return SECRET_MASK;
  return typeof entry.value === "string" ? entry.value : JSON.stringify(entry.value);
}

function lastUpdateCheck(history: readonly StackUpdate[]): Check {
  const last = [...history].sort((a, b) => b.version - a.version)[0];
  if (!last) return { name: "last update", ok: false, detail: "none: the stack has never been updated" };
  const detail = `v${last.version} ${last.kind} ${last.result} at ${formatTime(last.startTime)}${last.message ? ` (${last.message})` : ""}`;
  return { name: "last update", ok: last.result === "succeeded", detail };
}

/** Config set since the last update but not deployed yet (a staged or interrupted change). */
function printUndeployed(ctx: OpsContext, history: readonly StackUpdate[], config: ConfigValues): void {
  const deployed = [...history].filter((entry) => entry.kind === "update").sort((a, b) => b.version - a.version)[0];
  if (!deployed) return;
  const pending = diffConfig(deployed.config, config);
  if (pending.length === 0) return;
  ctx.console.print(`Config changed since v${deployed.version} and not deployed yet:`);
  ctx.console.print(renderConfigChanges(pending));
}

/** What is deployed and whether it is healthy now; exit 1 when any check fails. */
async function show(ctx: OpsContext): Promise<ExitCode> {
  const [rawOutputs, history, config] = await Promise.all([ctx.stack.outputs(), ctx.stack.history(), ctx.stack.getConfig()]);
  const outputs = readOutputs(rawOutputs);
  ctx.console.print(`Stack ${ctx.stack.stackName}`);
  ctx.console.print(`  deployed image     ${outputs.orchestratorImage ?? "(none)"}`);
  ctx.console.print(`  replicas           ${outputs.replicas ?? "(none)"}`);
  ctx.console.print("Outputs:");
  for (const key of Object.keys(rawOutputs).sort()) ctx.console.print(`  ${key}: ${showOutput(rawOutputs[key])}`);
  printUndeployed(ctx, history, config);
  const checks = [lastUpdateCheck(history), ...(await liveChecks(ctx, outputs))];
  ctx.console.print("Checks:");
  ctx.console.print(renderChecks(checks));
  const healthy = checks.every((check) => check.ok);
  ctx.console.print(healthy ? "Healthy." : "UNHEALTHY: see the FAIL lines above.");
  return healthy ? ExitCode.ok : ExitCode.failed;
}

/** The runbook's morning health check: what is deployed, and whether it is healthy now. */
export const status: Command = {
  name: "status",
  usage: "",
  summary: "outputs, deployed image and replicas, last update, and live checks; non-zero exit when anything is unhealthy",
  parse(args) {
    positional(status, args, 0);
    return show;
  },
};
