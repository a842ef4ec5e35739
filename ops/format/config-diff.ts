import type { ConfigChange } from "../config/diff";
import type { Json } from "../ports";

export const SECRET_MASK = "[secret]";
const UNSET = "(unset)";

/** A config value for display: strings bare, everything else as compact JSON. */
export function showValue(value: Json | undefined): string {
  if (value === undefined) return UNSET;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** One change as `path: before -> after`; secrets never show their values. */
export function describeChange(change: ConfigChange): string {
  if (change.secret) {
    const what = change.kind === "added" ? "set" : change.kind === "removed" ? "removed" : "changed";
    return `${change.path}: ${SECRET_MASK} ${what}`;
  }
  return `${change.path}: ${showValue(change.before)} -> ${showValue(change.after)}`;
}

/** The changes as an indented list, or a note that there are none. */
export function renderConfigChanges(changes: readonly ConfigChange[]): string {
  if (changes.length === 0) return "  (no config changes)";
  return changes.map((change) => `  ${describeChange(change)}`).join("\n");
}
