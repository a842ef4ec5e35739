import type { ConfigValues, Json } from "../ports";
import { cloneJson, isJsonObject } from "./json";

/**
 * `pulumi config set --path` / `rm --path` semantics, applied to an in-memory copy of the
 * config: dean-ops validates the config a change would produce before writing anything,
 * and the test fakes keep their state with the same rules.
 */

type Segment = string | number;

export interface ConfigPath {
  /** The top-level key, e.g. `dean:nginx`. */
  readonly key: string;
  /** The path inside it, e.g. ["blockedIps", 2]. */
  readonly segments: readonly Segment[];
}

const PATH = /^([A-Za-z0-9_-]+):([A-Za-z_][A-Za-z0-9_-]*)((?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*)$/;

/** Parses `dean:nginx.blockedIps[2]`; dean-ops only builds paths of this simple form. */
export function parseConfigPath(path: string): ConfigPath {
  const match = PATH.exec(path);
  if (!match) throw new Error(`not a config path dean-ops can address: ${path}`);
  const segments = [...match[3].matchAll(/\.([^.[]+)|\[(\d+)\]/g)].map((part) => (part[1] !== undefined ? part[1] : Number(part[2])));
  return { key: `${match[1]}:${match[2]}`, segments };
}

/** What the CLI stores for a value set by path: booleans and whole numbers are typed. */
export function typedPathValue(text: string): Json {
  if (text === "true") return true;
  if (text === "false") return false;
  // Like Go's strconv.Atoi, except that "0123" stays a string (the CLI keeps leading zeros).
  if (/^[+-]?\d+$/.test(text) && !(text.length > 1 && text.startsWith("0")) && Number.isSafeInteger(Number(text))) return Number(text);
  return text;
}


/** A container for the next segment: an array for an index, an object for a name. */
function containerFor(existing: Json | undefined, next: Segment, where: string): Json[] | { [key: string]: Json } {
  if (typeof next === "number") {
    if (existing === undefined || existing === null) return [];
    if (!Array.isArray(existing)) throw new Error(`${where}: an array was expected for index ${next}`);
    return existing;
  }
  if (existing === undefined || existing === null) return {};
  if (!isJsonObject(existing)) throw new Error(`${where}: a map was expected for key "${next}"`);
  return existing;
}

function put(container: Json[] | { [key: string]: Json }, segment: Segment, value: Json, where: string): void {
  if (Array.isArray(container)) {
    if (typeof segment !== "number" || segment > container.length) throw new Error(`${where}: array index out of range`);
    container[segment] = value;
  } else {
    container[String(segment)] = value;
  }
}

function read(container: Json[] | { [key: string]: Json }, segment: Segment): Json | undefined {
  return Array.isArray(container) ? container[Number(segment)] : container[String(segment)];
}

/** The config after setting each path to its value, in order (the input is not changed). */
export function applyPathSets(config: ConfigValues, values: Readonly<Record<string, string>>): ConfigValues {
  const result: Record<string, { value: Json; secret: boolean }> = { ...config };
  for (const [path, text] of Object.entries(values)) {
    const { key, segments } = parseConfigPath(path);
    const existing = result[key];
    if (segments.length === 0) {
      // A top-level value set by path stays a plain string, as with `pulumi config set`.
      result[key] = { value: text, secret: existing?.secret ?? false };
      continue;
    }
    // A top-level string is replaced by the object the path needs.
    const rootValue = existing && typeof existing.value !== "string" ? cloneJson(existing.value) : undefined;
    const root = containerFor(rootValue, segments[0], path);
    let cursor = root;
    for (let index = 0; index < segments.length - 1; index++) {
      const child = containerFor(read(cursor, segments[index]), segments[index + 1], path);
      put(cursor, segments[index], child, path);
      cursor = child;
    }
    put(cursor, segments[segments.length - 1], typedPathValue(text), path);
    result[key] = { value: root, secret: existing?.secret ?? false };
  }
  return result;
}

/** The config after removing each path, in order; a path that does not exist is ignored. */
export function applyPathRemovals(config: ConfigValues, paths: readonly string[]): ConfigValues {
  const result = new Map(Object.entries(config));
  for (const path of paths) {
    const { key, segments } = parseConfigPath(path);
    const existing = result.get(key);
    if (!existing) continue;
    if (segments.length === 0) {
      result.delete(key);
      continue;
    }
    const root = cloneJson(existing.value);
    let parent: Json | undefined = root;
    for (const segment of segments.slice(0, -1)) {
      parent = Array.isArray(parent) || isJsonObject(parent) ? read(parent, segment) : undefined;
    }
    const last = segments[segments.length - 1];
    if (Array.isArray(parent) && typeof last === "number" && last < parent.length) {
      parent.splice(last, 1);
    } else if (isJsonObject(parent) && typeof last === "string") {
      Reflect.deleteProperty(parent, last);
    } else {
      continue;
    }
    result.set(key, { value: root, secret: existing.secret });
  }
  return Object.fromEntries(result);
}
