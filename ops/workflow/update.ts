import { touchedKeys } from "../config/diff";
import { restoreWrite, writeConfig } from "../config/write";
import type { OpsContext } from "../context";
import { ExitCode, failed, messageOf, OpsError, refused } from "../errors";
import type { UpSummary } from "../ports";
import { renderChecks, waitUntilHealthy } from "./health";
import { type DeployedOutputs, readOutputs } from "./outputs";
import type { ChangePlan } from "./plan";

// The steps every change goes through: stage and preview, ask, update, check.

/** How long the checks after an update wait for the stack to settle. */
export const HEALTH_TIMEOUT_SECONDS = 120;

function countsText(changes: Readonly<Record<string, number>>): string {
  const entries = Object.entries(changes);
  // The engine did not report its summary: the streamed output above is the record.
  if (entries.length === 0) return "see the engine output above";
  const parts = entries.filter(([, count]) => count > 0).map(([op, count]) => `${count} ${op}`);
  return parts.length > 0 ? parts.join(", ") : "no resource changes";
}

/**
 * Changes need a yes: refuse up front, before anything is written, when there is no --yes and
 * no terminal to ask on.
 */
export function requireConsentPossible(ctx: OpsContext): void {
  if (!ctx.options.yes && !ctx.console.interactive) {
    throw refused("this changes the stack and needs a yes, but stdin is not a terminal: pass --yes to apply without asking; nothing was changed");
  }
}

/** What to try when an update fails or leaves the stack unhealthy. */
export function recoverySteps(ctx: OpsContext, specific: readonly string[] = []): string[] {
  const stack = `--stack ${ctx.stack.stackName}`;
  return [
    "read the engine output above for the resource that failed",
    `dean-ops status ${stack} shows what is running and what is unhealthy`,
    ...specific,
    `dean-ops rollback ${stack} re-applies the config of the last successful update`,
  ];
}

async function putBack(ctx: OpsContext, plan: ChangePlan): Promise<void> {
  await writeConfig(ctx.stack, restoreWrite(plan.before, touchedKeys(plan.changes)));
}

/**
 * Writes the plan's config and previews it, then asks. A preview that fails, a "no", or a
 * question that cannot be asked puts the previous config back: nothing is deployed.
 */
export async function stageChange(ctx: OpsContext, plan: ChangePlan, question: string): Promise<void> {
  await writeConfig(ctx.stack, plan.write);
  try {
    ctx.console.print("Preview:");
    const preview = await ctx.stack.preview(ctx.console.stream);
    ctx.console.print(`Planned: ${countsText(preview.changes)}`);
  } catch (error) {
    await putBack(ctx, plan);
    throw failed(`the preview failed, so the config was put back and nothing was deployed: ${messageOf(error)}`, [
      "read the preview output above (a program or policy error names the setting)",
    ]);
  }
  if (ctx.options.yes) return;
  let answer: boolean;
  try {
    answer = await ctx.console.confirm(question);
  } catch (error) {
    await putBack(ctx, plan);
    throw error;
  }
  if (!answer) {
    await putBack(ctx, plan);
    throw new OpsError("cancelled: the config was put back and nothing was deployed", ExitCode.cancelled);
  }
}

/** Runs `pulumi up`, streaming its progress. */
export async function runUpdate(ctx: OpsContext, message: string, nextSteps: readonly string[]): Promise<UpSummary> {
  ctx.console.print(`Updating stack ${ctx.stack.stackName}:`);
  try {
    const summary = await ctx.stack.up(message, ctx.console.stream);
    ctx.console.print(`Update v${summary.version} succeeded: ${countsText(summary.changes)}`);
    return summary;
  } catch (error) {
    throw failed(`the update failed: ${messageOf(error)}`, nextSteps);
  }
}

/** The live checks after an update; throws with the next steps when anything is unhealthy. */
export async function checkHealth(ctx: OpsContext, nextSteps: readonly string[]): Promise<DeployedOutputs> {
  const outputs = readOutputs(await ctx.stack.outputs());
  const checks = await waitUntilHealthy(ctx, outputs, HEALTH_TIMEOUT_SECONDS);
  ctx.console.print("Health checks:");
  ctx.console.print(renderChecks(checks));
  if (checks.some((check) => !check.ok)) throw failed("the update finished but the stack is unhealthy", nextSteps);
  return outputs;
}
