import type { StackConfig } from "../../components/config";
import { type ConfigChange, diffConfig } from "../config/diff";
import { validateConfig } from "../config/validate";
import { applyWrite, type ConfigWrite } from "../config/write";
import type { OpsContext } from "../context";
import type { ConfigValues } from "../ports";

/** A validated config change, not yet written. */
export interface ChangePlan {
  readonly before: ConfigValues;
  readonly after: ConfigValues;
  readonly changes: readonly ConfigChange[];
  readonly write: ConfigWrite;
  /** The program's view of the result, defaults applied. */
  readonly settings: StackConfig;
}

/** Computes the config a write produces and validates it as the program will; writes nothing. */
export function planChange(before: ConfigValues, write: ConfigWrite, what: string): ChangePlan {
  const after = applyWrite(before, write);
  const settings = validateConfig(after, `${what} would make the stack config invalid; nothing was changed`);
  return { before, after, changes: diffConfig(before, after), write, settings };
}

/** The current config, validated: operations compute their change from its settings. */
export async function currentConfig(ctx: OpsContext): Promise<{ values: ConfigValues; settings: StackConfig }> {
  const values = await ctx.stack.getConfig();
  const settings = validateConfig(values, `the current config of stack ${ctx.stack.stackName} is invalid; fix it (pulumi config) before running operations`);
  return { values, settings };
}
