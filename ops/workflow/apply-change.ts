import type { StackConfig } from "../../components/config";
import type { ConfigWrite } from "../config/write";
import type { OpsContext } from "../context";
import { ExitCode } from "../errors";
import { renderConfigChanges } from "../format/config-diff";
import type { DeployedOutputs } from "./outputs";
import { currentConfig, planChange } from "./plan";
import { checkHealth, recoverySteps, requireConsentPossible, runUpdate, stageChange } from "./update";

/** One operation expressed as a config change. */
export interface ChangeRequest {
  /** The operation in words: "scale the orchestrator to 3 replicas". */
  readonly what: string;
  /** Recorded with the update in stack history. */
  readonly message: string;
  /** The write, computed from the current settings; throws `refused` for bad input. */
  readonly build: (settings: StackConfig) => ConfigWrite;
  /** Runs after a successful update, before the health checks. */
  readonly afterUpdate?: (ctx: OpsContext) => Promise<void>;
  /** Recovery advice specific to this operation. */
  readonly recovery?: readonly string[];
  /** Printed after the health checks pass. */
  readonly done?: (outputs: DeployedOutputs) => string;
}

/** Validate, show the change, preview, ask, update, check health. */
export async function applyChange(ctx: OpsContext, request: ChangeRequest): Promise<ExitCode> {
  requireConsentPossible(ctx);
  const current = await currentConfig(ctx);
  const plan = planChange(current.values, request.build(current.settings), request.what);
  ctx.console.print(`Stack ${ctx.stack.stackName}: ${request.what}`);
  // Setting a default explicitly (maintenance off when it was unset) deploys nothing new.
  // Both sides come from the same schema, so their JSON is in the same key order.
  if (plan.changes.length === 0 || JSON.stringify(plan.settings) === JSON.stringify(current.settings)) {
    ctx.console.print("Nothing to change: the config already says so.");
    return ExitCode.ok;
  }
  ctx.console.print("Config changes:");
  ctx.console.print(renderConfigChanges(plan.changes));
  await stageChange(ctx, plan, `Apply this to stack ${ctx.stack.stackName}?`);
  const steps = recoverySteps(ctx, request.recovery);
  await runUpdate(ctx, request.message, steps);
  if (request.afterUpdate) await request.afterUpdate(ctx);
  const outputs = await checkHealth(ctx, steps);
  ctx.console.print(request.done ? request.done(outputs) : "Done.");
  return ExitCode.ok;
}
