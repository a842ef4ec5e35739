import { closestName } from "../components/config-keys";

/**
 * Policy pack config, handled the way the Pulumi CLI handles `--policy-pack-config`
 * (pkg/resource/analyzer/config.go): the file maps a policy name to an enforcement level or to
 * an object of settings (optionally with `enforcementLevel`); `all` sets every level. The
 * config sent to the pack is the schema defaults, then the pack's initial config, then the
 * file, validated against each policy's configSchema. One difference, on purpose: an unknown
 * policy or setting is an error here (the CLI ignores it), so a typo cannot silently leave a
 * limit at its default.
 */

export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;
export type EnforcementLevelName = (typeof ENFORCEMENT_LEVELS)[number];

export interface PolicyConfigEntry {
  readonly enforcementLevel?: EnforcementLevelName;
  readonly properties: Readonly<Record<string, unknown>>;
}
export type PolicyPackConfig = Readonly<Record<string, PolicyConfigEntry>>;

/** A JSON schema as policies declare their settings (the subset validated below). */
export interface SettingSchema {
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly items?: SettingSchema;
  readonly default?: unknown;
}

/** What the pack says about one policy (from GetAnalyzerInfo). */
export interface PolicyMetadata {
  readonly name: string;
  readonly enforcementLevel: EnforcementLevelName;
  readonly properties: Readonly<Record<string, SettingSchema>>;
  readonly required: readonly string[];
}

/** Keywords `validate` understands; a schema using another one is refused rather than half-checked. */
export const SUPPORTED_KEYWORDS: readonly string[] = [
  "type", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "minItems", "maxItems", "items", "default", "description",
];

/** Every problem of a config file at once, like the stack config's ConfigError. */
export class PolicyConfigError extends Error {
  constructor(readonly source: string, readonly problems: readonly string[]) {
    super(`Invalid policy pack config ${source} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` + problems.map((p) => `  - ${p}`).join("\n"));
    this.name = "PolicyConfigError";
  }
}

function isLevel(value: unknown): value is EnforcementLevelName {
  return typeof value === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses the JSON text of a policy pack config file. */
export function parsePolicyPackConfig(text: string, source: string): PolicyPackConfig {
  if (text.trim() === "") return {};
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new PolicyConfigError(source, [`is not JSON: ${(error as Error).message}`]);
  }
  if (!isObject(document)) throw new PolicyConfigError(source, ["must be a JSON object of policy name -> enforcement level or settings"]);
  const problems: string[] = [];
  const config: Record<string, PolicyConfigEntry> = {};
  for (const [policy, value] of Object.entries(document)) {
    if (typeof value === "string") {
      if (isLevel(value)) config[policy] = { enforcementLevel: value, properties: {} };
      else problems.push(`${policy}: ${JSON.stringify(value)} is not an enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`);
    } else if (isObject(value)) {
      const { enforcementLevel, ...properties } = value;
      if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
        problems.push(`${policy}.enforcementLevel: ${JSON.stringify(enforcementLevel)} is not an enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`);
      } else {
        config[policy] = { enforcementLevel, properties };
      }
    } else {
      problems.push(`${policy}: ${JSON.stringify(value)} must be an enforcement level or an object of settings`);
    }
  }
  if (problems.length > 0) throw new PolicyConfigError(source, problems);
  return config;
}

function typeMatches(type: string | undefined, value: unknown): boolean {
  switch (type) {
    case undefined:
      return true;
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "array":
      return Array.isArray(value);
    case "object":
      return isObject(value);
    case "null":
      return value === null;
    default:
      return typeof value === type;
  }
}

/** Problems of one value against its schema, each starting with `key`. */
export function validate(schema: SettingSchema, value: unknown, key: string): string[] {
  const got = `(got ${JSON.stringify(value)})`;
  if (!typeMatches(schema.type, value)) return [`${key} must be ${schema.type === "array" ? "a list" : `a${schema.type === "integer" ? "n" : ""} ${schema.type}`} ${got}`];
  const problems: string[] = [];
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${key} must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")} ${got}`);
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${key} must be at least ${schema.minimum} ${got}`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${key} must be at most ${schema.maximum} ${got}`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) problems.push(`${key} must be greater than ${schema.exclusiveMinimum} ${got}`);
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) problems.push(`${key} must be less than ${schema.exclusiveMaximum} ${got}`);
  }
  if (typeof value === "string" && schema.minLength !== undefined && value.length < schema.minLength) problems.push(`${key} must have at least ${schema.minLength} character(s) ${got}`);
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) problems.push(`${key} must have at least ${schema.minItems} item(s) ${got}`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) problems.push(`${key} must have at most ${schema.maxItems} item(s) ${got}`);
    const items = schema.items;
    if (items) value.forEach((item, index) => problems.push(...validate(items, item, `${key}[${index}]`)));
  }
  return problems;
}

/** The closest known name, if any is close enough to be a typo. */
function didYouMean(name: string, known: readonly string[]): string {
  const closest = closestName(name, known, 3);
  return closest ? ` (did you mean ${closest}?)` : "";
}

export interface ReconciledPolicyConfig {
  readonly enforcementLevel: EnforcementLevelName;
  readonly properties: Readonly<Record<string, unknown>>;
}

function apply(result: Map<string, ReconciledPolicyConfig>, config: PolicyPackConfig): void {
  const all = config.all?.enforcementLevel;
  if (all) for (const [name, entry] of result) result.set(name, { ...entry, enforcementLevel: all });
  for (const [name, given] of Object.entries(config)) {
    const current = result.get(name);
    if (!current) continue;
    result.set(name, {
      enforcementLevel: given.enforcementLevel ?? current.enforcementLevel,
      properties: { ...current.properties, ...given.properties },
    });
  }
}

/**
 * Defaults from the schemas, then the pack's initial config, then the given config; every
 * problem is reported at once. `source` names the given config in error messages.
 */
export function reconcilePolicyPackConfig(
  policies: readonly PolicyMetadata[], initial: PolicyPackConfig, given: PolicyPackConfig, source: string,
): ReadonlyMap<string, ReconciledPolicyConfig> {
  const problems: string[] = [];
  const known = policies.map((policy) => policy.name);
  for (const name of Object.keys(given)) {
    if (name !== "all" && !known.includes(name)) problems.push(`${name} is not a policy of this pack${didYouMean(name, known)}`);
  }
  const result = new Map<string, ReconciledPolicyConfig>(policies.map((policy) => [policy.name, {
    enforcementLevel: policy.enforcementLevel,
    properties: Object.fromEntries(Object.entries(policy.properties).flatMap(([key, schema]) => (schema.default === undefined ? [] : [[key, schema.default]]))),
  }]));
  apply(result, initial);
  apply(result, given);
  for (const policy of policies) {
    const properties = result.get(policy.name)?.properties ?? {};
    const settingNames = Object.keys(policy.properties);
    for (const [key, value] of Object.entries(properties)) {
      const schema = policy.properties[key];
      if (!schema) problems.push(`${policy.name}.${key} is not a setting of ${policy.name}${didYouMean(key, settingNames)}; it has ${settingNames.length > 0 ? settingNames.join(", ") : "none"}`);
      else problems.push(...validate(schema, value, `${policy.name}.${key}`));
    }
    for (const key of policy.required) {
      if (!(key in properties)) problems.push(`${policy.name}.${key} is required`);
    }
  }
  if (problems.length > 0) throw new PolicyConfigError(source, problems);
  return result;
}
