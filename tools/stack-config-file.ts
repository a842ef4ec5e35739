import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { closestName, fullKey, showConfigKey } from "../components/config-keys";

/** A stack's config as the Pulumi engine hands it to the program. */
export interface PulumiConfigMap {
  /** `dean:orchestrator` -> JSON text (objects) or the raw string (scalars). */
  readonly values: Record<string, string>;
  /** Keys whose values are `secure:` (encrypted) in the file. */
  readonly secretKeys: string[];
}

/** Stands in for an encrypted value, which cannot be decrypted without the Pulumi CLI. */
export const SECURE_PLACEHOLDER = "<secure value from the stack file>";

/** A stack file is a page of settings; anything larger is not one (and is not read whole). */
export const MAX_STACK_FILE_BYTES = 1024 * 1024;
/** Values may not expand (through YAML aliases) past the size a file may have. */
const MAX_EXPANDED_CHARACTERS = MAX_STACK_FILE_BYTES;
const MAX_DEPTH = 64;

/** Top-level keys of a Pulumi stack file (Pulumi's ProjectStack) besides `config`. */
const STACK_FILE_KEYS = ["config", "secretsprovider", "encryptedkey", "encryptionsalt"];

/** Every problem of a stack file at once, each naming the key it is about. */
export class StackFileError extends Error {
  constructor(readonly file: string, readonly problems: readonly string[]) {
    super(`Invalid stack config file ${file} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` + problems.map((p) => `  - ${p}`).join("\n"));
    this.name = "StackFileError";
  }
}

/** Path of `Pulumi.<stack>.yaml` in the project directory. */
export function stackFilePath(projectDir: string, stack: string): string {
  return path.join(projectDir, `Pulumi.${stack}.yaml`);
}

function readText(file: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === "ENOENT" ? `stack config file ${file} does not exist` : `cannot read stack config file ${file}: ${(error as Error).message}`);
  }
  if (stat.isDirectory()) throw new Error(`stack config file ${file} is a directory; name the Pulumi.<stack>.yaml file inside it`);
  if (!stat.isFile()) throw new Error(`stack config file ${file} is not a regular file`);
  if (stat.size > MAX_STACK_FILE_BYTES) throw new Error(`stack config file ${file} is ${stat.size} bytes; a stack file is at most ${MAX_STACK_FILE_BYTES} bytes`);
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read stack config file ${file}: ${(error as Error).message}`);
  }
}

/**
 * Reads `Pulumi.<stack>.yaml` into the flat map the engine passes to a program, so tests and
 * the offline policy check evaluate exactly what `pulumi up` would.
 */
export function readStackConfigFile(file: string): PulumiConfigMap {
  return parseStackConfigText(readText(file), file);
}

/** The text of a stack file, named `file` in messages, as the engine's flat map. */
export function parseStackConfigText(text: string, file: string): PulumiConfigMap {
  let document: unknown;
  try {
    document = yaml.load(text, { filename: file });
  } catch (error) {
    throw new Error(`stack config file ${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (document === null || document === undefined) return { values: Object.create(null) as Record<string, string>, secretKeys: [] };
  if (typeof document !== "object" || Array.isArray(document)) throw new StackFileError(file, ["the file must be a mapping with a `config:` section of settings such as dean:environment"]);
  const problems = topLevelProblems(Object.keys(document));
  const config = Object.hasOwn(document, "config") ? (document as Record<string, unknown>).config : undefined;
  if (config !== null && config !== undefined && (typeof config !== "object" || Array.isArray(config))) {
    problems.push("`config` must be a mapping of settings such as dean:environment");
  }
  const settings = typeof config === "object" && config !== null && !Array.isArray(config) ? (config as Record<string, unknown>) : {};
  for (const key of Object.keys(settings)) problems.push(...valueProblems(key, settings[key]));
  if (problems.length > 0) throw new StackFileError(file, problems);
  return toPulumiConfigMap(settings);
}

/** Settings written beside `config:` instead of inside it are read by nothing: say so. */
function topLevelProblems(keys: readonly string[]): string[] {
  return keys.filter((key) => !STACK_FILE_KEYS.includes(key)).map((key) => {
    if (key.includes(":")) {
      return `${showConfigKey(key)} is at the top level of the file: stack settings${key.startsWith("dean:") ? "" : " such as dean:environment"} belong under \`config:\``;
    }
    if (key === "environment") {
      return "environment at the top level imports Pulumi ESC environments, which this check cannot read; the stack's environment is dean:environment under `config:`";
    }
    const meant = closestName(key, STACK_FILE_KEYS);
    return `${showConfigKey(key)} is not a stack file setting${meant ? ` (did you mean ${meant}?)` : ""}; the file has ${STACK_FILE_KEYS.join(", ")}, and settings such as dean:environment go under \`config:\``;
  });
}

/** `dean:nginx` + ["rateLimit", "burst"] -> `dean:nginx.rateLimit.burst`. */
function keyAt(configKey: string, inner: readonly PropertyKey[]): string {
  const colon = configKey.indexOf(":");
  if (colon < 0) return fullKey([configKey, ...inner], "").slice(1);
  return fullKey([configKey.slice(colon + 1), ...inner], showConfigKey(configKey.slice(0, colon)));
}

/**
 * What Pulumi could not store: values that aliases expand past the size of a file, and nesting
 * too deep for any setting. Counted as the value is walked, so a billion-laughs file costs no
 * more than its budget.
 */
function valueProblems(configKey: string, value: unknown): string[] {
  let budget = MAX_EXPANDED_CHARACTERS;
  const walk = (inner: unknown, depth: number): string | undefined => {
    budget -= typeof inner === "string" ? inner.length + 1 : 1;
    if (budget < 0) return `${keyAt(configKey, [])} expands to more than ${MAX_EXPANDED_CHARACTERS} characters (YAML aliases repeating values?): write the values out`;
    if (depth > MAX_DEPTH) return `${keyAt(configKey, [])} nests deeper than ${MAX_DEPTH} levels; no setting does`;
    if (typeof inner !== "object" || inner === null) return undefined;
    for (const item of Array.isArray(inner) ? inner : Object.values(inner)) {
      const problem = walk(item, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  };
  const problem = walk(value, 0);
  return problem ? [problem] : [];
}

/**
 * JSON has no infinity or NaN (JSON.stringify would write null, and the refusal would say "got
 * null"): YAML's .inf, -.inf and .nan go on as their YAML spelling, which the schema refuses
 * wherever a number is expected, naming the key and the range.
 */
function spelled(_key: string, value: unknown): unknown {
  if (typeof value !== "number" || Number.isFinite(value)) return value;
  return Number.isNaN(value) ? ".nan" : value > 0 ? ".inf" : "-.inf";
}

/** Converts structured config values into the engine's flat map. */
export function toPulumiConfigMap(config: Record<string, unknown>): PulumiConfigMap {
  // No prototype: a key such as `__proto__` must stay a key.
  const values = Object.create(null) as Record<string, string>;
  const secretKeys: string[] = [];
  for (const key of Object.keys(config)) {
    const value = config[key];
    if (isSecure(value)) {
      values[key] = SECURE_PLACEHOLDER;
      secretKeys.push(key);
    } else {
      // A scalar goes over as its text (as Pulumi does), anything else as JSON.
      const scalar = spelled(key, value);
      values[key] = typeof scalar === "string" ? scalar : JSON.stringify(value ?? null, spelled);
    }
  }
  return { values, secretKeys };
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && Object.hasOwn(value, "secure");
}
