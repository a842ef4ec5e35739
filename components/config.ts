import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { BACKUP_CONNECTIONS, stackConfigShape } from "./config-schema";

export { BACKUP_CONNECTIONS } from "./config-schema";

export const CONFIG_NAMESPACE = "dean";

/** Secret config keys: read with getSecret, never part of the plain schema. */
export const SECRET_KEYS = ["tlsCertificate", "tlsKey"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

const stackConfigSchema = z.strictObject(stackConfigShape);

/** A problem found by a check across keys: the key it is reported on, its value, why. */
interface CrossFieldProblem {
  readonly path: readonly PropertyKey[];
  readonly value: unknown;
  readonly message: string;
}

type Sections = Partial<StackConfig>;

/** Checks that span keys. Each runs when the sections it reads parsed on their own. */
function crossFieldProblems(cfg: Sections, secretsSet: ReadonlySet<SecretKey>): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  for (const service of ["orchestrator", "postgres", "redis", "nginx", "backup"] as const) {
    const r = cfg[service]?.resources;
    if (!r) continue;
    if (r.reservedCpus > r.cpus) {
      problems.push({ path: [service, "resources", "reservedCpus"], value: r.reservedCpus, message: `must not exceed ${service}.resources.cpus (${r.cpus})` });
    }
    if (r.reservedMemoryMiB > r.memoryMiB) {
      problems.push({ path: [service, "resources", "reservedMemoryMiB"], value: r.reservedMemoryMiB, message: `must not exceed ${service}.resources.memoryMiB (${r.memoryMiB})` });
    }
  }
  if (cfg.orchestrator && cfg.postgres) {
    const budget = connectionBudget({ orchestrator: cfg.orchestrator, postgres: cfg.postgres });
    if (budget.total > budget.maxConnections) {
      problems.push({ path: ["postgres", "maxConnections"], value: budget.maxConnections, message: `is below the connection budget: ${budget.explanation}; lower orchestrator.replicas, workers, dbPoolSize or dbMaxOverflow, or raise postgres.maxConnections` });
    }
  }
  if (cfg.postgres && cfg.postgres.superuser === cfg.postgres.user) {
    problems.push({ path: ["postgres", "user"], value: cfg.postgres.user, message: "must differ from postgres.superuser: the application role is not a superuser" });
  }
  if (cfg.nginx) {
    const tls = cfg.nginx.tls;
    for (const key of ["certificatePath", "keyPath"] as const) {
      if (tls.mode === "hostFiles" && !tls[key]) {
        problems.push({ path: ["nginx", "tls", key], value: tls[key], message: "is required when nginx.tls.mode is hostFiles" });
      } else if (tls.mode !== "hostFiles" && tls[key]) {
        problems.push({ path: ["nginx", "tls", key], value: tls[key], message: `is only used when nginx.tls.mode is hostFiles (mode is ${tls.mode})` });
      }
    }
    for (const key of SECRET_KEYS) {
      if (tls.mode === "secretConfig" && !secretsSet.has(key)) {
        problems.push({ path: [key], value: undefined, message: `is required when nginx.tls.mode is secretConfig: pulumi config set --secret ${CONFIG_NAMESPACE}:${key} < file.pem` });
      }
    }
    if (cfg.nginx.httpPort === cfg.nginx.httpsPort) {
      problems.push({ path: ["nginx", "httpsPort"], value: cfg.nginx.httpsPort, message: "must differ from nginx.httpPort" });
    }
  }
  return problems;
}

/** The validated, fully defaulted `dean:` config. */
export type StackConfig = z.infer<typeof stackConfigSchema>;
export type OrchestratorSettings = StackConfig["orchestrator"];
export type PostgresSettings = StackConfig["postgres"];
export type RedisSettings = StackConfig["redis"];
export type NginxSettings = StackConfig["nginx"];
export type BackupSettings = StackConfig["backup"];
export type ResourceSettings = OrchestratorSettings["resources"];

export interface ConnectionBudget {
  readonly orchestrator: number;
  readonly backup: number;
  readonly adminReserve: number;
  readonly superuserReserved: number;
  readonly total: number;
  readonly maxConnections: number;
  /** The arithmetic, for error messages and the README. */
  readonly explanation: string;
}

/**
 * SQLAlchemy pools live per process, so every uvicorn worker of every replica can open
 * pool + overflow connections (DESIGN.md, "Connection budget").
 */
export function connectionBudget(cfg: Pick<StackConfig, "orchestrator" | "postgres">): ConnectionBudget {
  const o = cfg.orchestrator;
  const p = cfg.postgres;
  const orchestrator = o.replicas * o.workers * (o.dbPoolSize + o.dbMaxOverflow);
  const total = orchestrator + BACKUP_CONNECTIONS + p.adminReserve + p.superuserReservedConnections;
  const explanation =
    `${o.replicas} replicas x ${o.workers} workers x (${o.dbPoolSize} pool + ${o.dbMaxOverflow} overflow) = ${orchestrator}` +
    ` + ${BACKUP_CONNECTIONS} backup + ${p.adminReserve} admin reserve + ${p.superuserReservedConnections} superuser reserved` +
    ` = ${total} ${total > p.maxConnections ? ">" : "<="} max_connections ${p.maxConnections}`;
  return { orchestrator, backup: BACKUP_CONNECTIONS, adminReserve: p.adminReserve, superuserReserved: p.superuserReservedConnections, total, maxConnections: p.maxConnections, explanation };
}

/** Thrown with every problem of a config at once. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` + problems.map((p) => `  - ${p}`).join("\n"));
    this.name = "ConfigError";
  }
}

function fullKey(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path.map(String);
  return `${CONFIG_NAMESPACE}:${head}${rest.map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`)).join("")}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** The keys the schema knows at a path, for "did you mean" hints. */
function shapeAt(path: readonly PropertyKey[]): Record<string, unknown> {
  let schema: unknown = z.strictObject(stackConfigShape);
  for (const segment of path) {
    while (schema instanceof z.ZodPrefault || schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) schema = schema.unwrap();
    schema = schema instanceof z.ZodObject ? (schema.shape as Record<string, unknown>)[String(segment)] : undefined;
  }
  while (schema instanceof z.ZodPrefault || schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) schema = schema.unwrap();
  return schema instanceof z.ZodObject ? (schema.shape as Record<string, unknown>) : {};
}

function unknownKeyProblem(path: readonly PropertyKey[], known: readonly string[], value: unknown): string {
  const name = String(path[path.length - 1]);
  const parent = path.length > 1 ? ` of ${fullKey(path.slice(0, -1))}` : "";
  const closest = known.find((candidate) => editDistance(candidate.toLowerCase(), name.toLowerCase()) <= 2);
  return `${fullKey(path)} is not a known setting${parent}${closest ? ` (did you mean ${closest}?)` : ""} (got ${show(value)})`;
}

/** Levenshtein distance, for typo hints. */
function editDistance(a: string, b: string): number {
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

function show(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string[] {
  const key = fullKey(issue.path);
  const got = `(got ${show(issue.input !== undefined ? issue.input : valueAt(input, issue.path))})`;
  if (issue.code === "unrecognized_keys") {
    const known = Object.keys(shapeAt(issue.path));
    return issue.keys.map((name) => unknownKeyProblem([...issue.path, name], known, valueAt(input, [...issue.path, name])));
  }
  // The schema words its own messages "must ..."; zod's generic ones are reworded here.
  if (issue.message.startsWith("must ")) return [`${key} ${issue.message} ${got}`];
  switch (issue.code) {
    case "too_small":
      return [`${key} must have at least ${String(issue.minimum)} ${issue.origin === "array" ? "item(s)" : "character(s)"} ${got}`];
    case "invalid_type":
      return [`${key} must be ${issue.expected === "object" ? "an object of settings" : `a ${issue.expected}`} ${got}`];
    case "invalid_value":
      return [`${key} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")} ${got}`];
    default:
      return [`${key} ${issue.message} ${got}`];
  }
}

/**
 * Validates the raw `dean:` settings (keys without the namespace, values already parsed from
 * JSON where structured). Throws one ConfigError listing every problem.
 */
export function parseStackConfig(raw: Record<string, unknown>, secretsSet: ReadonlySet<SecretKey> = new Set()): StackConfig {
  const problems: string[] = [];
  // Top-level keys first, so that a typo is reported beside every other problem.
  for (const name of Object.keys(raw)) {
    if (!(name in stackConfigShape)) problems.push(unknownKeyProblem([name], Object.keys(stackConfigShape), raw[name]));
  }
  // Each section on its own: one bad section must not hide the checks of the others.
  const sections: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(stackConfigShape)) {
    const result = (schema as z.ZodType).safeParse(raw[name]);
    if (result.success) {
      sections[name] = result.data;
    } else {
      for (const issue of result.error.issues) {
        problems.push(...describeIssue({ ...issue, path: [name, ...issue.path] }, raw));
      }
    }
  }
  for (const problem of crossFieldProblems(sections as Sections, secretsSet)) {
    problems.push(`${fullKey(problem.path)} ${problem.message} (got ${show(problem.value)})`);
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return stackConfigSchema.parse(raw);
}

/**
 * Turns Pulumi's flat config map (`dean:orchestrator` -> JSON text) into the raw object the
 * schema reads. Values that are not JSON stay strings; secret keys are left out.
 */
export function rawSettingsFromPulumiConfig(all: Record<string, string>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [key, text] of Object.entries(all)) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    if ((SECRET_KEYS as readonly string[]).includes(name)) continue;
    raw[name] = parseConfigText(text);
  }
  return raw;
}

function parseConfigText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The validated config and the secret values set for this stack. */
export interface LoadedConfig {
  readonly config: StackConfig;
  readonly tlsSecrets: { readonly certificate?: pulumi.Output<string>; readonly key?: pulumi.Output<string> };
}

/**
 * Reads and validates this stack's `dean:` config: the one place the program reads config.
 * Throws a ConfigError (every problem at once) before any resource is registered.
 */
export function loadConfig(): LoadedConfig {
  const all = pulumi.runtime.allConfig();
  const pulumiConfig = new pulumi.Config(CONFIG_NAMESPACE);
  const secretsSet = new Set(SECRET_KEYS.filter((key) => `${CONFIG_NAMESPACE}:${key}` in all));
  const config = parseStackConfig(rawSettingsFromPulumiConfig(all), secretsSet);
  return {
    config,
    tlsSecrets: {
      certificate: pulumiConfig.getSecret("tlsCertificate"),
      key: pulumiConfig.getSecret("tlsKey"),
    },
  };
}

/** Seconds in a schema duration such as `24h`. */
export function durationSeconds(value: string): number {
  const amount = Number(value.slice(0, -1));
  const unit = value.slice(-1);
  const perUnit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
  return amount * perUnit[unit];
}
