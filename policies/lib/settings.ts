import type { PolicyConfigSchema } from "@pulumi/policy";

/**
 * Policy settings: each rule declares its numbers here once, as a JSON schema with a default, so
 * `pulumi preview --policy-pack-config` (and the offline check's `--config`) can tighten them.
 * The engine fills in the defaults before it configures the pack; reading them again here keeps
 * a rule correct when it runs without config (e.g. `pulumi policy publish` validation).
 */

interface Described {
  readonly description: string;
}
export interface IntegerSetting extends Described {
  readonly type: "integer";
  readonly default: number;
  readonly minimum?: number;
  readonly maximum?: number;
}
export interface NumberSetting extends Described {
  readonly type: "number";
  readonly default: number;
  readonly exclusiveMinimum?: number;
  readonly maximum?: number;
}
export interface BooleanSetting extends Described {
  readonly type: "boolean";
  readonly default: boolean;
}
export interface StringSetting extends Described {
  readonly type: "string";
  readonly default: string;
  readonly minLength?: number;
}
export interface StringListSetting extends Described {
  readonly type: "array";
  readonly items: { readonly type: "string"; readonly minLength?: number; readonly enum?: readonly string[] };
  readonly default: readonly string[];
  readonly minItems?: number;
}
export type Setting = IntegerSetting | NumberSetting | BooleanSetting | StringSetting | StringListSetting;
export type Settings = Readonly<Record<string, Setting>>;

type ValueOf<S extends Setting> = S extends StringListSetting ? readonly string[]
  : S extends BooleanSetting ? boolean
  : S extends StringSetting ? string
  : number;
export type SettingValues<S extends Settings> = { readonly [K in keyof S]: ValueOf<S[K]> };

type JsonSchema = PolicyConfigSchema["properties"][string];

/** One setting as JSON schema; arrays are copied because the schema type wants mutable ones. */
function toJsonSchema(setting: Setting): JsonSchema {
  if (setting.type !== "array") return { ...setting };
  const { items, default: fallback, ...rest } = setting;
  // An undefined key would not survive the protobuf Struct the schema is sent in.
  const { enum: allowed, ...itemRest } = items;
  const itemSchema: JsonSchema = allowed ? { ...itemRest, enum: [...allowed] } : itemRest;
  return { ...rest, items: itemSchema, default: [...fallback] };
}

/** The configSchema of a policy with these settings. */
export function configSchema(settings: Settings): PolicyConfigSchema {
  return { properties: Object.fromEntries(Object.entries(settings).map(([key, setting]) => [key, toJsonSchema(setting)])) };
}

function matches(setting: Setting, value: unknown): boolean {
  switch (setting.type) {
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "string":
      return typeof value === "string";
    case "array":
      return Array.isArray(value) && value.every((item) => typeof item === "string");
  }
}

/** The configured values, defaults filled in; a value of the wrong type is an error, not a guess. */
export function readSettings<S extends Settings>(settings: S, given: Readonly<Record<string, unknown>>): SettingValues<S> {
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings)) {
    const value = given[key] ?? setting.default;
    if (!matches(setting, value)) {
      throw new Error(`policy setting ${key} must be ${setting.type === "array" ? "a list of strings" : `a ${setting.type}`} (got ${JSON.stringify(value)})`);
    }
    values[key] = value;
  }
  return values as SettingValues<S>;
}
