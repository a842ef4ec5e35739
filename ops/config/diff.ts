import type { ConfigValues, Json } from "../ports";
import { isJsonObject, jsonEqual } from "./json";
import { isManagedKey } from "./validate";

/** One changed setting, at the deepest object field that differs (lists compare whole). */
export interface ConfigChange {
  /** `dean:orchestrator.replicas`, or the top-level key for secrets and scalars. */
  readonly path: string;
  readonly kind: "added" | "removed" | "changed";
  readonly before?: Json;
  readonly after?: Json;
  /** Secret settings are reported without their values. */
  readonly secret: boolean;
}

function leaves(value: Json, prefix: string, into: Map<string, Json>): void {
  if (isJsonObject(value) && Object.keys(value).length > 0) {
    for (const [name, child] of Object.entries(value)) leaves(child, `${prefix}.${name}`, into);
  } else {
    into.set(prefix, value);
  }
}

function changesOfKey(key: string, before: ConfigValues[string] | undefined, after: ConfigValues[string] | undefined): ConfigChange[] {
  const secret = Boolean(before?.secret || after?.secret);
  if (secret) {
    // A secret is compared whole, and only whether it changed is shown.
    if (before && after && jsonEqual(before.value, after.value) && before.secret === after.secret) return [];
    return [{ path: key, kind: !before ? "added" : !after ? "removed" : "changed", secret: true }];
  }
  const from = new Map<string, Json>();
  const to = new Map<string, Json>();
  if (before) leaves(before.value, key, from);
  if (after) leaves(after.value, key, to);
  const changes: ConfigChange[] = [];
  for (const path of new Set([...from.keys(), ...to.keys()])) {
    const had = from.has(path);
    const has = to.has(path);
    if (had && has && jsonEqual(from.get(path), to.get(path))) continue;
    changes.push({ path, kind: !had ? "added" : !has ? "removed" : "changed", before: from.get(path), after: to.get(path), secret: false });
  }
  return changes;
}

/** What changes from one config to another, sorted by path; Pulumi's own keys are left out. */
export function diffConfig(before: ConfigValues, after: ConfigValues): ConfigChange[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)].filter(isManagedKey));
  return [...keys]
    .flatMap((key) => changesOfKey(key, before[key], after[key]))
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** The top-level keys a list of changes touches. */
export function touchedKeys(changes: readonly ConfigChange[]): string[] {
  return [...new Set(changes.map((change) => change.path.split(".")[0]))];
}
