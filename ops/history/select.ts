import { refused } from "../errors";
import type { StackUpdate } from "../ports";

export interface RollbackChoice {
  /** The newest update: the one being undone. */
  readonly current: StackUpdate;
  /** The update whose config is re-applied. */
  readonly target: StackUpdate;
}

function describe(update: StackUpdate): string {
  return `v${update.version} (${update.kind}, ${update.result})`;
}

/**
 * Picks the update to roll back to. Only `update` operations deploy a config (refreshes and
 * previews do not), and only a succeeded one is known to have worked. Without `to`, the
 * target is the newest succeeded update before the current one, skipping failed attempts.
 */
export function selectRollbackTarget(history: readonly StackUpdate[], stackName: string, to?: number): RollbackChoice {
  const updates = history.filter((entry) => entry.kind === "update").sort((a, b) => b.version - a.version);
  const current = updates[0];
  if (!current) throw refused(`stack ${stackName} has no update in its history: there is nothing to roll back`);
  const succeeded = updates.filter((entry) => entry.result === "succeeded" && entry.version !== current.version);
  const candidates = succeeded.length > 0 ? `successful earlier updates: ${succeeded.map((entry) => `v${entry.version}`).join(", ")}` : "there is no successful earlier update";

  if (to === undefined) {
    const target = succeeded[0];
    if (!target) throw refused(`stack ${stackName} has no successful update before the current one, ${describe(current)}: there is nothing to roll back to`);
    return { current, target };
  }
  const chosen = history.find((entry) => entry.version === to);
  if (!chosen) {
    const versions = history.map((entry) => entry.version);
    const range = versions.length > 0 ? `versions ${Math.min(...versions)} to ${Math.max(...versions)}` : "no versions";
    throw refused(`version ${to} is not in the history of stack ${stackName} (it has ${range}); ${candidates}; see dean-ops history`);
  }
  if (chosen.version === current.version) throw refused(`v${to} is the current update of stack ${stackName}: there is nothing to roll back; ${candidates}`);
  if (chosen.kind !== "update") throw refused(`v${to} is a ${chosen.kind}, not an update: it deployed no config; ${candidates}`);
  if (chosen.result !== "succeeded") throw refused(`v${to} did not succeed (${chosen.result}): its config is not known to work; ${candidates}`);
  return { current, target: chosen };
}
