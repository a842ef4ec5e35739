import { ConfigError, parsePulumiConfig, type StackConfig } from "../../components/config";
import { refused } from "../errors";
import type { ConfigValues } from "../ports";

/** The program's own config namespace; `pulumi:` keys come from Pulumi.yaml, not from operations. */
export const PROJECT_NAMESPACE = "dean";

/** Keys an operation may write or a rollback re-applies: everything but Pulumi's own. */
export function isManagedKey(key: string): boolean {
  return !key.startsWith("pulumi:");
}

/** The flat text map the engine hands the program (objects as JSON text). */
export function engineConfigMap(config: ConfigValues): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [key, entry] of Object.entries(config)) {
    map[key] = typeof entry.value === "string" ? entry.value : JSON.stringify(entry.value);
  }
  return map;
}

/**
 * Validates a config exactly as the program will (components/config.ts), so that a bad value
 * is refused with the program's message (key, value, what is allowed) before anything changes.
 * `intro` opens the refusal, e.g. "scale ... would make the stack config invalid".
 */
export function validateConfig(config: ConfigValues, intro: string): StackConfig {
  // The whole map, other namespaces and secrecy included, as the program reads it: a typo'd
  // namespace or a secret stored in plain text is refused here too, not only at `pulumi up`.
  const secretKeys = new Set(Object.entries(config).filter(([, entry]) => entry.secret).map(([key]) => key));
  try {
    return parsePulumiConfig(engineConfigMap(config), secretKeys);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw refused(`${intro}:\n${error.problems.map((problem) => `  - ${problem}`).join("\n")}`);
    }
    throw error;
  }
}

/** The settings a recorded config gives, or undefined when it does not validate (e.g. under an older schema). */
export function trySettings(config: ConfigValues): StackConfig | undefined {
  try {
    return validateConfig(config, "recorded config");
  } catch {
    return undefined;
  }
}

/** Only the keys operations manage: a recorded config without Pulumi's own keys. */
export function managedConfig(config: ConfigValues): ConfigValues {
  return Object.fromEntries(Object.entries(config).filter(([key]) => isManagedKey(key)));
}
