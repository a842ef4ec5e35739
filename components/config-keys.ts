import { showName, showValue } from "./config-display";

/**
 * Naming config keys in refusals (`dean:nginx.tls.keyPath`, `dean:nginx.blockedIps[2]`), typo
 * hints, and the namespaces a stack's config may use.
 */

export const CONFIG_NAMESPACE = "dean";

/**
 * Namespaces read by something in this stack besides the program: Pulumi itself
 * (`pulumi:tags`) and the providers the program uses (package.json's @pulumi/* packages).
 * A key in any other namespace is read by nothing, so it is almost always a typo of `dean:`.
 */
export const OTHER_NAMESPACES = ["pulumi", "command", "docker", "postgresql", "random"] as const;

/** A key of Pulumi's flat map printed as is (`daen:environment`); anything odder is quoted. */
const PLAIN_CONFIG_KEY = /^[A-Za-z0-9_$.:[\]-]{1,100}$/;

export function showConfigKey(key: string): string {
  return showName(key, PLAIN_CONFIG_KEY);
}

/** A path segment as a key shows it: `.name`, `[3]` for an index, or a quoted odd name. */
function segmentText(segment: PropertyKey, first: boolean): string {
  if (typeof segment === "number" || /^\d+$/.test(String(segment))) return `[${String(segment)}]`;
  const name = String(segment);
  const shown = showName(name);
  if (shown !== name) return `[${shown}]`;
  return first ? name : `.${name}`;
}

/** `dean:orchestrator.replicas`, `dean:nginx.blockedIps[2]`. */
export function fullKey(path: readonly PropertyKey[], namespace: string = CONFIG_NAMESPACE): string {
  return `${namespace}:${path.map((segment, index) => segmentText(segment, index === 0)).join("")}`;
}

/** Levenshtein distance, for typo hints. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The known name closest to `name` when it is close enough to be a typo (case ignored). */
export function closestName(name: string, known: readonly string[], maxDistance = 2): string | undefined {
  // Bounded first: a 100,000-character key is no typo, and comparing it would cost seconds.
  if (name.length > 64) return undefined;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(candidate.toLowerCase(), name.toLowerCase());
    if (distance <= maxDistance && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** An own property of a parsed value; inherited ones (`toString`, `__proto__`) are not settings. */
export function ownValue(container: unknown, key: PropertyKey): unknown {
  if (container === null || typeof container !== "object" || !Object.hasOwn(container, key)) return undefined;
  return (container as Record<PropertyKey, unknown>)[key];
}

/** The value at a path, through own properties only. */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((current, segment) => ownValue(current, segment), input);
}

/**
 * A deep copy whose objects have no prototype. Parsed config must not be able to reach
 * Object.prototype: `__proto__` as a key would otherwise replace an object's prototype
 * (and be honoured through it), and `toString` would look like a known name.
 */
export function withoutPrototypes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPrototypes);
  if (value === null || typeof value !== "object") return value;
  const copy = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) copy[key] = withoutPrototypes((value as Record<string, unknown>)[key]);
  return copy;
}

/** `dean:x.y is not a known setting of dean:x (did you mean z?) (got ...)`. */
export function unknownKeyProblem(path: readonly PropertyKey[], known: readonly string[], value: unknown): string {
  const name = String(path[path.length - 1]);
  const parent = path.length > 1 ? ` of ${fullKey(path.slice(0, -1))}` : "";
  const closest = closestName(name, known);
  let hint = closest ? ` (did you mean ${closest}?)` : "";
  // `dean:nginx.tls.mode` written as one flat key: Pulumi keeps it as a setting named "nginx.tls.mode".
  const section = name.split(/[.[]/)[0];
  if (!closest && path.length === 1 && section !== name && known.includes(section)) {
    hint = ` (a nested setting belongs inside ${fullKey([section])}: pulumi config set --path '${CONFIG_NAMESPACE}:${showConfigKey(name)}' <value>)`;
  }
  // With no likely typo, what is allowed is the list of settings.
  const allowed = hint ? "" : `; the settings are ${known.join(", ")}`;
  return `${fullKey(path)} is not a known setting${parent}${hint}${allowed} (got ${showValue(value)})`;
}

/**
 * Keys of Pulumi's flat config map that no namespace this stack uses would read. Each is
 * refused with the `dean:` key it most likely meant, so `daen:environment` cannot silently
 * leave a production stack on the default.
 */
export function foreignKeyProblems(keys: readonly string[], known: readonly string[], valueOf: (key: string) => unknown): string[] {
  const problems: string[] = [];
  for (const key of keys) {
    const colon = key.indexOf(":");
    const namespace = colon < 0 ? undefined : key.slice(0, colon);
    if (namespace === CONFIG_NAMESPACE || (OTHER_NAMESPACES as readonly string[]).includes(namespace ?? "")) continue;
    const name = colon < 0 ? key : key.slice(colon + 1);
    const meant = closestName(name.split(/[.[]/)[0], known);
    const hint = meant ? `did you mean ${fullKey([meant])}?` : `settings of this program are ${CONFIG_NAMESPACE}:<name>, e.g. ${fullKey(["environment"])}`;
    const where = namespace === undefined
      ? "has no namespace"
      : `is in the namespace ${showConfigKey(namespace)}, which nothing in this stack reads (${[CONFIG_NAMESPACE, ...OTHER_NAMESPACES].join(", ")} are)`;
    problems.push(`${showConfigKey(key)} ${where}: ${hint} (got ${showValue(valueOf(key))})`);
  }
  return problems;
}
