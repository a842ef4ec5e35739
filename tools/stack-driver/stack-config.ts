import * as path from "node:path";
import type { StackConfig } from "../../components/config";
import { type PulumiConfigMap, readStackConfigFile, toPulumiConfigMap } from "../stack-config-file";

/** The e2e stack's config file and the changes a test applies on top of it. */

export const E2E_STACK = "e2e";
export const E2E_CONFIG_FILE = path.resolve(__dirname, "../../tests/e2e/Pulumi.e2e.yaml");

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A config change, e.g. `{ orchestrator: { replicas: 3 } }` (merged into `dean:orchestrator`). */
export type ConfigOverrides = DeepPartial<StackConfig>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else (scalars, lists) is replaced. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = deepMerge(base[key], value);
  return merged;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A stack file's config plus overrides (merged into `dean:<key>`), as structured values. */
export function structuredConfig(file: string, overrides: ConfigOverrides = {}): Record<string, unknown> {
  const structured: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(readStackConfigFile(file).values)) structured[key] = parseJson(text);
  for (const [name, value] of Object.entries(overrides)) structured[`dean:${name}`] = deepMerge(structured[`dean:${name}`], value);
  return structured;
}

/** The e2e config file plus overrides, as the engine would hand it to the program. */
export function e2eConfig(overrides: ConfigOverrides = {}): PulumiConfigMap {
  return toPulumiConfigMap(structuredConfig(E2E_CONFIG_FILE, overrides));
}

/** The instance name every Docker object of the e2e stack is labelled with (dean.instance). */
export function e2eInstanceName(): string {
  const value = readStackConfigFile(E2E_CONFIG_FILE).values["dean:instanceName"];
  if (!value) throw new Error(`${E2E_CONFIG_FILE} sets no dean:instanceName`);
  return value;
}
