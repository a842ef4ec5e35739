import { readFileSync } from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import * as yaml from "js-yaml";
import { ConfigError, parsePulumiConfig, type StackConfig } from "../../components/config";
import { parseStackConfigText, StackFileError, stackFilePath } from "../../tools/stack-config-file";

/**
 * Mutations of the shipped Pulumi.prod.yaml for the config's property tests (issue 10): the
 * unit tier checks that every mutation either loads or is refused with a message naming a
 * `dean:` key; the integration tier renders nginx.conf from the ones that load and has the real
 * nginx check it. Runs are reproducible: a fixed seed and a bounded number of runs. To search
 * further by hand, DEAN_FUZZ_SEED picks another seed and DEAN_FUZZ_SCALE multiplies the runs; a
 * failure prints the seed and path that replay it.
 */

export const PROJECT_DIR = path.resolve(__dirname, "../..");
export const FUZZ_SEED = Number(process.env.DEAN_FUZZ_SEED ?? 20240610);
const FUZZ_SCALE = Math.max(1, Number(process.env.DEAN_FUZZ_SCALE ?? 1) || 1);

/** fast-check's settings for a deterministic run of `numRuns` (times DEAN_FUZZ_SCALE). */
export function fuzzParameters(numRuns: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns: numRuns * FUZZ_SCALE, endOnFailure: true };
}

export const STACK_FILE_NAME = "Pulumi.prod.yaml";

/** The shipped prod stack file as YAML data: what every mutation starts from. */
export function prodDocument(): Record<string, unknown> {
  return yaml.load(readFileSync(stackFilePath(PROJECT_DIR, "prod"), "utf8")) as Record<string, unknown>;
}

type Settings = Record<string, unknown>;

/** The shipped prod file with `edit` applied to its `config:` mapping (and the document), as text. */
export function prodWith(edit: (config: Settings, document: Settings) => void): string {
  const document = prodDocument();
  edit(document.config as Settings, document);
  return yaml.dump(document, { lineWidth: -1 });
}

export type Outcome = { readonly config: StackConfig } | { readonly refusal: string };

/** The stack file text as `pulumi up` would read it: the file, the namespaces, the `dean:` schema. */
export function loadStackText(text: string): Outcome {
  try {
    const map = parseStackConfigText(text, STACK_FILE_NAME);
    return { config: parsePulumiConfig(map.values, new Set(map.secretKeys)) };
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StackFileError) return { refusal: error.message };
    throw error;
  }
}

type Segment = string | number;
type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === "object" && value !== null;
}

/** Every path below the document's root, parents before children. */
function pathsOf(value: unknown, prefix: readonly Segment[] = []): Segment[][] {
  if (!isContainer(value)) return [];
  const keys: Segment[] = Array.isArray(value) ? value.map((_, index) => index) : Object.keys(value);
  return keys.flatMap((key) => [[...prefix, key], ...pathsOf((value as Record<Segment, unknown>)[key], [...prefix, key])]);
}

function parentOf(document: unknown, at: readonly Segment[]): Container | undefined {
  let current: unknown = document;
  for (const segment of at.slice(0, -1)) current = isContainer(current) ? (current as Record<Segment, unknown>)[segment] : undefined;
  return isContainer(current) ? current : undefined;
}

/** Sets an own property, `__proto__` included (plain assignment would replace the prototype). */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** One edit of the document; `at` picks a path (modulo the number of paths when applied). */
export type Mutation =
  | { readonly kind: "delete"; readonly at: number }
  | { readonly kind: "set"; readonly at: number; readonly value: unknown }
  | { readonly kind: "rename"; readonly at: number; readonly name: (old: string) => string; readonly label: string }
  | { readonly kind: "add"; readonly at: number; readonly name: string; readonly value: unknown }
  | { readonly kind: "unwrap"; readonly at: number }
  | { readonly kind: "document"; readonly replacement: unknown };

function renameKey(parent: Record<string, unknown>, from: string, to: string): void {
  // Rebuilt in order, so the renamed key stays where it was.
  const entries = Object.keys(parent).map((key) => [key === from ? to : key, parent[key]] as const);
  for (const key of Object.keys(parent)) Reflect.deleteProperty(parent, key);
  for (const [key, value] of entries) defineOwn(parent, key, value);
}

function applyOne(document: unknown, mutation: Mutation): unknown {
  if (mutation.kind === "document") return structuredClone(mutation.replacement);
  const paths = pathsOf(document);
  if (paths.length === 0) return document;
  const at = paths[mutation.at % paths.length];
  const parent = parentOf(document, at);
  const last = at[at.length - 1];
  if (!parent) return document;
  if (mutation.kind === "delete") {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else Reflect.deleteProperty(parent, String(last));
  } else if (mutation.kind === "set") {
    if (Array.isArray(parent)) parent[Number(last)] = mutation.value;
    else defineOwn(parent, String(last), mutation.value);
  } else if (mutation.kind === "rename" && !Array.isArray(parent)) {
    renameKey(parent, String(last), mutation.name(String(last)));
  } else if (mutation.kind === "add" && !Array.isArray(parent)) {
    defineOwn(parent, mutation.name, mutation.value);
  } else if (mutation.kind === "unwrap" && at[0] === "config" && at.length === 2 && isContainer(document) && !Array.isArray(document)) {
    // A setting written beside `config:` instead of inside it.
    defineOwn(document, String(last), (parent as Record<string, unknown>)[String(last)]);
    Reflect.deleteProperty(parent, String(last));
  }
  return document;
}

/** The prod document with the mutations applied in order, as stack file text. */
export function mutatedProdText(mutations: readonly Mutation[]): string {
  const document = mutations.reduce<unknown>(applyOne, prodDocument());
  return yaml.dump(document, { skipInvalid: true, lineWidth: -1, noRefs: true });
}

const hostPaths = [
  "/var//run/docker.sock", "/run/../var/run/docker.sock", "/var/./run/docker.sock", "/var/run/docker.sock/.", "/.", "/", "/etc", "/dev", "/proc",
  "/backups:/x", "/backups/\u0000x", "/backups/dean/", "/srv/backups", "/etc/letsencrypt/live/dean/privkey.pem",
];
const addresses = ["0.0.0.0/0", "0.0.0.0", "10.0.0.1/8", "10.0.0.0/8", "203.0.113.7", "255.255.255.255", "224.0.0.1", "127.0.0.1", "010.0.0.1", "1.2.3.4/33"];
const names = ["postgres", "template0", "template1", "public", "pg_monitor", "none", "current_user", "dean", "dean_app", "all"];
const otherStrings = [
  ".", "..", "", "-", "localhost", "dean.example.com", "a..b", "nginx:LATEST", "postgres:Latest", "postgres:15.10-bookworm",
  "99999999999999999999d", "0s", "9s", "10s", "30d", "31d", "24h", "dev", "prod", "staging", "selfSigned", "secretConfig", "hostFiles",
  "__proto__", "constructor", "toString", "hasOwnProperty", "true", "null", "1e400", "/api/login", "api/login", "python\u0000",
];

/** Values that probe the schema's edges, plus anything JSON-like. */
const valueArbitrary: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>(...hostPaths, ...addresses, ...names, ...otherStrings) },
  { weight: 2, arbitrary: fc.integer({ min: 12, max: 100_000 }).map((length) => "a".repeat(length)) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 60 }).map((labels) => Array.from({ length: labels }, () => "label").join(".")) },
  { weight: 2, arbitrary: fc.integer({ min: -10, max: 100_000 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null, true, false, [], {}) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom<unknown>(...addresses, ...hostPaths), { maxLength: 4 }) },
);

const PROTOTYPE_KEYS = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];

/** New names for a key: typos, other namespaces, prototype keys, no namespace. */
const renameArbitrary: fc.Arbitrary<{ name: (old: string) => string; label: string }> = fc.oneof(
  fc.constantFrom("daen", "Dean", "DEAN", "deam", "pulumi", "aws").map((namespace) => ({
    label: `namespace ${namespace}`,
    name: (old: string) => (old.includes(":") ? `${namespace}:${old.slice(old.indexOf(":") + 1)}` : `${namespace}:${old}`),
  })),
  fc.constant({ label: "no namespace", name: (old: string) => old.slice(old.indexOf(":") + 1) }),
  fc.tuple(fc.nat(40), fc.constantFrom("x", "", "s", "_")).map(([position, insert]) => ({
    label: `typo at ${position}`,
    name: (old: string) => {
      const index = position % Math.max(old.length, 1);
      return `${old.slice(0, index)}${insert}${old.slice(index + 1)}`;
    },
  })),
  fc.constantFrom(...PROTOTYPE_KEYS).map((key) => ({ label: key, name: () => key })),
);

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: valueArbitrary }) },
  { weight: 3, arbitrary: fc.tuple(fc.nat(), renameArbitrary).map(([at, rename]) => ({ kind: "rename" as const, at, ...rename })) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("add" as const), at: fc.nat(), name: fc.constantFrom(...PROTOTYPE_KEYS, "dean:__proto__", "daen:nginx", "replica"), value: valueArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("unwrap" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("document" as const), replacement: fc.constantFrom<unknown>(null, {}, { config: null }, { config: {} }) }) },
);

/** One to three mutations of the prod file. */
export const mutationsArbitrary = fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 });
