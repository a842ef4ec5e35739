import type { ConfigMap, UpdateSummary } from "@pulumi/pulumi/automation";
import type { ConfigEntry, ConfigValues, Json, StackUpdate } from "../ports";

/** What `pulumi stack history --show-secrets --json` prints for a secret it cannot decrypt. */
const UNDECRYPTABLE = "ERROR_UNABLE_TO_DECRYPT";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isJson(value: unknown): value is Json {
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) return true;
  if (Array.isArray(value)) return value.every(isJson);
  return isRecord(value) && Object.values(value).every(isJson);
}

/**
 * A config value as the CLI's JSON prints it (`pulumi config --json`, `stack history --json`):
 * `value` is text (JSON text for objects), `objectValue` the parsed object, and a secret has no
 * `value` when it could not be decrypted. The Automation API types only `value` and `secret`.
 */
function toEntry(raw: unknown): ConfigEntry | undefined {
  if (!isRecord(raw)) return undefined;
  const secret = raw.secret === true;
  if (raw.objectValue !== undefined && raw.objectValue !== null && isJson(raw.objectValue)) return { value: raw.objectValue, secret };
  if (typeof raw.value !== "string" || (secret && raw.value === UNDECRYPTABLE)) return undefined;
  return { value: raw.value, secret };
}

/** The CLI's config listing as config values, and the keys whose values could not be read. */
export function toConfigValues(config: ConfigMap | undefined): { values: ConfigValues; unreadable: string[] } {
  const values: Record<string, ConfigEntry> = {};
  const unreadable: string[] = [];
  for (const [key, raw] of Object.entries(config ?? {})) {
    const entry = toEntry(raw);
    if (entry) values[key] = entry;
    else unreadable.push(key);
  }
  return { values, unreadable };
}

export function toStackUpdate(summary: UpdateSummary): StackUpdate {
  const { values, unreadable } = toConfigValues(summary.config);
  return {
    version: summary.version,
    kind: summary.kind,
    result: summary.result,
    startTime: summary.startTime,
    message: summary.message ?? "",
    config: values,
    unreadableSecrets: unreadable,
    resourceChanges: { ...summary.resourceChanges },
    ...(summary.environment?.["git.head"] ? { programCommit: summary.environment["git.head"] } : {}),
  };
}

/**
 * Non-secret values in the shape `pulumi config set-all --json` takes (that of `pulumi config
 * --json`), so objects stay objects: plain set-all would store their JSON as a string.
 */
export function setAllDocument(values: ConfigValues): string {
  return JSON.stringify(Object.fromEntries(Object.entries(values).map(([key, entry]) => [
    key,
    typeof entry.value === "object" && entry.value !== null
      ? { value: JSON.stringify(entry.value), objectValue: entry.value, secret: false }
      : { value: String(entry.value), secret: false },
  ])));
}
