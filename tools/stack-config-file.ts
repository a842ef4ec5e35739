import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

/** A stack's config as the Pulumi engine hands it to the program. */
export interface PulumiConfigMap {
  /** `dean:orchestrator` -> JSON text (objects) or the raw string (scalars). */
  readonly values: Record<string, string>;
  /** Keys whose values are `secure:` (encrypted) in the file. */
  readonly secretKeys: string[];
}

/** Stands in for an encrypted value, which cannot be decrypted without the Pulumi CLI. */
export const SECURE_PLACEHOLDER = "<secure value from the stack file>";

/** Path of `Pulumi.<stack>.yaml` in the project directory. */
export function stackFilePath(projectDir: string, stack: string): string {
  return path.join(projectDir, `Pulumi.${stack}.yaml`);
}

/**
 * Reads `Pulumi.<stack>.yaml` into the flat map the engine passes to a program, so tests and
 * the offline policy check evaluate exactly what `pulumi up` would.
 */
export function readStackConfigFile(file: string): PulumiConfigMap {
  if (!fs.existsSync(file)) throw new Error(`stack config file ${file} does not exist`);
  const document = yaml.load(fs.readFileSync(file, "utf8"));
  if (document === null || document === undefined) return { values: {}, secretKeys: [] };
  if (typeof document !== "object" || Array.isArray(document)) throw new Error(`${file}: expected a mapping at the top level`);
  const config = (document as Record<string, unknown>).config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw new Error(`${file}: \`config\` must be a mapping`);
  return toPulumiConfigMap(config as Record<string, unknown>);
}

/** Converts structured config values into the engine's flat map. */
export function toPulumiConfigMap(config: Record<string, unknown>): PulumiConfigMap {
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (isSecure(value)) {
      values[key] = SECURE_PLACEHOLDER;
      secretKeys.push(key);
    } else {
      values[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { values, secretKeys };
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}
