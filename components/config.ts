import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { z } from "zod";
import { crossFieldProblems, SECRET_KEYS, type SecretKey, type SecretKeyState } from "./config-cross-checks";
import { showValue } from "./config-display";
import { CONFIG_NAMESPACE, foreignKeyProblems, fullKey, ownValue, unknownKeyProblem, valueAt, withoutPrototypes } from "./config-keys";
import { stackConfigShape, type StackConfig } from "./config-schema";

export { BACKUP_CONNECTIONS, type StackConfig } from "./config-schema";
export { connectionBudget, type ConnectionBudget } from "./connection-budget";
export { CONFIG_NAMESPACE } from "./config-keys";
export { SECRET_KEYS, type SecretKey } from "./config-cross-checks";
export { durationSeconds } from "./duration";

export type OrchestratorSettings = StackConfig["orchestrator"];
export type PostgresSettings = StackConfig["postgres"];
export type RedisSettings = StackConfig["redis"];
export type NginxSettings = StackConfig["nginx"];
export type BackupSettings = StackConfig["backup"];
export type ResourceSettings = OrchestratorSettings["resources"];

/** Thrown with every problem of a config at once. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` + problems.map((p) => `  - ${p}`).join("\n"));
    this.name = "ConfigError";
  }
}

const SETTINGS = Object.keys(stackConfigShape);

/** The keys the schema knows at a path, for "did you mean" hints. */
function shapeAt(path: readonly PropertyKey[]): Record<string, unknown> {
  const unwrap = (schema: unknown): unknown => {
    let inner = schema;
    while (inner instanceof z.ZodPrefault || inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap();
    return inner;
  };
  let schema: unknown = z.strictObject(stackConfigShape);
  for (const segment of path) {
    const inner = unwrap(schema);
    schema = inner instanceof z.ZodObject ? ownValue(inner.shape, String(segment)) : undefined;
  }
  const inner = unwrap(schema);
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, unknown>) : {};
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string[] {
  const key = fullKey(issue.path);
  const given = valueAt(input, issue.path);
  const got = `(got ${showValue(given)})`;
  if (issue.code === "unrecognized_keys") {
    const known = Object.keys(shapeAt(issue.path));
    return issue.keys.map((name) => unknownKeyProblem([...issue.path, name], known, valueAt(input, [...issue.path, name])));
  }
  // The schema words its own messages "must ..." or "is ..."; zod's generic ones are reworded here.
  if (/^(must|is) /.test(issue.message)) return [`${key} ${issue.message} ${got}`];
  if (given === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value")) return [`${key} is required ${got}`];
  switch (issue.code) {
    case "too_small":
      return [`${key} must have at least ${String(issue.minimum)} ${issue.origin === "array" ? "item(s)" : "character(s)"} ${got}`];
    case "too_big":
      return [`${key} must have at most ${String(issue.maximum)} ${issue.origin === "array" ? "item(s)" : "character(s)"} ${got}`];
    case "invalid_type":
      return [`${key} must be ${issue.expected === "object" ? "an object of settings" : issue.expected === "array" ? "a list" : `a ${issue.expected}`} ${got}`];
    case "invalid_value":
      return [`${key} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")} ${got}`];
    default:
      return [`${key} ${issue.message} ${got}`];
  }
}

/**
 * Validates the raw `dean:` settings (keys without the namespace, values already parsed from
 * JSON where structured). Only own keys count: `__proto__` or `toString` is an unknown setting
 * like any other. `secretsSet` names the secret keys that are set, `plainSecrets` those of them
 * stored in plain text. Throws one ConfigError listing every problem.
 */
export function parseStackConfig(
  raw: Readonly<Record<string, unknown>>,
  secretsSet: ReadonlySet<SecretKey> = new Set(),
  plainSecrets: ReadonlySet<SecretKey> = new Set(),
): StackConfig {
  return parseSettings(raw, { set: secretsSet, plain: plainSecrets }, []);
}

function parseSettings(rawInput: Readonly<Record<string, unknown>>, secrets: SecretKeyState, earlier: readonly string[]): StackConfig {
  const raw = withoutPrototypes(rawInput) as Record<string, unknown>;
  const problems = [...earlier];
  // Top-level keys first, so that a typo is reported beside every other problem.
  for (const name of Object.keys(raw)) {
    if (!Object.hasOwn(stackConfigShape, name)) problems.push(unknownKeyProblem([name], SETTINGS, raw[name]));
  }
  // Each section on its own: one bad section must not hide the checks of the others.
  const sections: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(stackConfigShape)) {
    const result = (schema as z.ZodType).safeParse(raw[name]);
    if (result.success) {
      sections[name] = result.data;
    } else {
      for (const issue of result.error.issues) problems.push(...describeIssue({ ...issue, path: [name, ...issue.path] }, raw));
    }
  }
  for (const problem of crossFieldProblems(sections as Partial<StackConfig>, secrets)) {
    problems.push(`${fullKey(problem.path)} ${problem.message} (got ${problem.shown ?? showValue(problem.value)})`);
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  // Every section parsed: together they are the whole config.
  return sections as StackConfig;
}

/** Objects arrive as JSON text; anything else is a plain string. */
function parseConfigText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Turns Pulumi's flat config map (`dean:orchestrator` -> JSON text) into the raw object the
 * schema reads: objects without a prototype, secret keys and other namespaces left out (see
 * parsePulumiConfig, which also refuses the namespaces nothing reads).
 */
export function rawSettingsFromPulumiConfig(all: Readonly<Record<string, string>>): Record<string, unknown> {
  const raw = Object.create(null) as Record<string, unknown>;
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const key of Object.keys(all)) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    if ((SECRET_KEYS as readonly string[]).includes(name)) continue;
    raw[name] = withoutPrototypes(parseConfigText(all[key]));
  }
  return raw;
}

/**
 * Validates a stack's whole flat config map as the engine hands it to the program: keys in a
 * namespace nothing reads (`daen:environment`) are refused with the `dean:` key they meant,
 * the secret keys are checked for being set where needed, used, and encrypted, and the `dean:`
 * settings are validated. `secretKeys` are the keys whose values are secrets.
 */
export function parsePulumiConfig(all: Readonly<Record<string, string>>, secretKeys: ReadonlySet<string>): StackConfig {
  const keys = Object.keys(all);
  const known = [...SETTINGS, ...SECRET_KEYS];
  const set = new Set(SECRET_KEYS.filter((key) => keys.includes(`${CONFIG_NAMESPACE}:${key}`)));
  const plain = new Set([...set].filter((key) => !secretKeys.has(`${CONFIG_NAMESPACE}:${key}`)));
  const foreign = foreignKeyProblems(keys, known, (key) => parseConfigText(all[key]));
  return parseSettings(rawSettingsFromPulumiConfig(all), { set, plain }, foreign);
}

/** The validated config and the secret values set for this stack. */
export interface LoadedConfig {
  readonly config: StackConfig;
  readonly tlsSecrets: { readonly certificate?: pulumi.Output<string>; readonly key?: pulumi.Output<string> };
}

// isConfigSecret is part of the SDK's runtime but left out of its typings (@internal).
const { isConfigSecret } = runtimeConfig as typeof runtimeConfig & { isConfigSecret(key: string): boolean };

/**
 * Reads and validates this stack's config: the one place the program reads config.
 * Throws a ConfigError (every problem at once) before any resource is registered.
 */
export function loadConfig(): LoadedConfig {
  const all = pulumi.runtime.allConfig();
  const secretKeys = new Set(Object.keys(all).filter((key) => isConfigSecret(key)));
  const config = parsePulumiConfig(all, secretKeys);
  const pulumiConfig = new pulumi.Config(CONFIG_NAMESPACE);
  return {
    config,
    tlsSecrets: {
      certificate: pulumiConfig.getSecret("tlsCertificate"),
      key: pulumiConfig.getSecret("tlsKey"),
    },
  };
}
