import type { ConfigValues, StackPort } from "../ports";
import { applyPathRemovals, applyPathSets } from "./paths";

/**
 * A config change as the stack applies it: single fields by path (an operation), or whole
 * top-level keys (re-applying a recorded config, or putting the previous one back).
 */
export type ConfigWrite =
  | { readonly kind: "paths"; readonly set: Readonly<Record<string, string>>; readonly remove: readonly string[] }
  | { readonly kind: "replace"; readonly values: ConfigValues; readonly remove: readonly string[] };

/** Sets fields by path (removals first, so that an index refers to the list as it was). */
export function pathWrite(set: Readonly<Record<string, string>>, remove: readonly string[] = []): ConfigWrite {
  return { kind: "paths", set, remove };
}

/** The config a write produces, computed without touching the stack. */
export function applyWrite(config: ConfigValues, write: ConfigWrite): ConfigValues {
  if (write.kind === "paths") return applyPathSets(applyPathRemovals(config, write.remove), write.set);
  const removed = new Set(write.remove);
  return Object.fromEntries(Object.entries({ ...config, ...write.values }).filter(([key]) => !removed.has(key)));
}

export async function writeConfig(stack: StackPort, write: ConfigWrite): Promise<void> {
  if (write.kind === "replace") {
    if (Object.keys(write.values).length > 0 || write.remove.length > 0) await stack.replaceConfig(write.values, write.remove);
    return;
  }
  if (write.remove.length > 0) await stack.removePaths(write.remove);
  if (Object.keys(write.set).length > 0) await stack.setPaths(write.set);
}

/**
 * The write that gives each of the top-level keys its value in `to` (secrets stay secrets),
 * removing those `to` does not have: how a recorded or previous config is put back.
 */
export function restoreWrite(to: ConfigValues, keys: readonly string[]): ConfigWrite {
  const values: Record<string, ConfigValues[string]> = {};
  const remove: string[] = [];
  for (const key of keys) {
    const entry = to[key];
    if (entry) values[key] = entry;
    else remove.push(key);
  }
  return { kind: "replace", values, remove };
}
