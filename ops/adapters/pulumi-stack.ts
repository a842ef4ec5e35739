import { CommandError, type ConfigMap, LocalWorkspace, type Stack, StackNotFoundError, type UpdateSummary } from "@pulumi/pulumi/automation";
import type { ConfigEntry, ConfigValues, Json, OutputSink, PreviewSummary, StackOutputs, StackPort, StackUpdate, UpSummary } from "../ports";

/** Entries per `pulumi stack history` page; pages are read until one comes back short. */
const HISTORY_PAGE_SIZE = 100;
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

function toConfigValues(config: ConfigMap | undefined): { values: ConfigValues; unreadable: string[] } {
  const values: Record<string, ConfigEntry> = {};
  const unreadable: string[] = [];
  for (const [key, raw] of Object.entries(config ?? {})) {
    const entry = toEntry(raw);
    if (entry) values[key] = entry;
    else unreadable.push(key);
  }
  return { values, unreadable };
}

function toStackUpdate(summary: UpdateSummary): StackUpdate {
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
  };
}

/** Last lines worth showing of a failed command's error output. */
function tail(text: string): string {
  return text.split("\n").map((line) => line.trimEnd()).filter((line) => line.trim() !== "").slice(-10).join("\n");
}

/**
 * A CommandError's message holds the whole command output (already streamed to the operator),
 * prefixed by execa's "Command failed with exit code N: <command line>". Its stderr part is
 * what says what failed.
 */
function conciseError(error: unknown): Error {
  if (!(error instanceof CommandError)) return error instanceof Error ? error : new Error(String(error));
  const stderr = (/\n stderr: ([\s\S]*?)\n err\?: /.exec(error.message)?.[1] ?? error.message).replace(/^Command failed with exit code \d+: .*\n?/, "");
  return new Error(tail(stderr) || "pulumi reported a failure (see its output above)");
}

/** Streams an engine operation's stdout and stderr, keeping stderr for the error if it fails. */
async function streamed<T>(onOutput: OutputSink, operation: (sinks: { onOutput: OutputSink; onError: OutputSink }) => Promise<T>): Promise<T> {
  const stderr: string[] = [];
  try {
    return await operation({ onOutput, onError: (text) => {
      stderr.push(text);
      onOutput(text);
    } });
  } catch (error) {
    const captured = tail(stderr.join(""));
    throw captured ? new Error(captured) : conciseError(error);
  }
}

/** StackPort over the Automation API's LocalWorkspace: the project in `workDir`, run by the local Pulumi CLI. */
export class PulumiStack implements StackPort {
  private selected?: Promise<Stack>;

  constructor(
    readonly stackName: string,
    private readonly workDir: string,
  ) {}

  /** Selected on first use, so that bad arguments are refused before the CLI is needed. */
  private stack(): Promise<Stack> {
    this.selected ??= LocalWorkspace.selectStack({ stackName: this.stackName, workDir: this.workDir }).catch((error: unknown) => {
      if (error instanceof StackNotFoundError) throw new Error(`stack ${this.stackName} does not exist in ${this.workDir} (pulumi stack ls lists the stacks)`);
      throw new Error(`cannot open stack ${this.stackName} in ${this.workDir} (dean-ops needs the Pulumi CLI on PATH and a logged-in backend): ${conciseError(error).message}`);
    });
    return this.selected;
  }

  async history(): Promise<StackUpdate[]> {
    const stack = await this.stack();
    const byVersion = new Map<number, StackUpdate>();
    for (let page = 1; ; page++) {
      // showSecrets: rollback re-applies secret values, so it needs them decrypted.
      const summaries = await stack.history(HISTORY_PAGE_SIZE, page, true);
      const before = byVersion.size;
      for (const summary of summaries) byVersion.set(summary.version, toStackUpdate(summary));
      // A backend that ignores paging returns the same entries again: stop when nothing is new.
      if (summaries.length < HISTORY_PAGE_SIZE || byVersion.size === before) break;
    }
    return [...byVersion.values()].sort((a, b) => b.version - a.version);
  }

  async getConfig(): Promise<ConfigValues> {
    const { values, unreadable } = toConfigValues(await (await this.stack()).getAllConfig());
    if (unreadable.length > 0) throw new Error(`cannot read the config values of ${unreadable.join(", ")} (are the stack's secrets decryptable here?)`);
    return values;
  }

  async setPaths(values: Readonly<Record<string, string>>): Promise<void> {
    const config: ConfigMap = Object.fromEntries(Object.entries(values).map(([path, value]) => [path, { value, secret: false }]));
    await (await this.stack()).setAllConfig(config, true);
  }

  async removePaths(paths: readonly string[]): Promise<void> {
    await (await this.stack()).removeAllConfig([...paths], true);
  }

  async replaceConfig(values: ConfigValues, remove: readonly string[]): Promise<void> {
    const stack = await this.stack();
    if (Object.keys(values).length > 0) {
      // `config set-all --json` takes `pulumi config --json`'s shape, so objects stay objects
      // (plain set-all would store their JSON as a string) and secrets are encrypted again.
      const document = Object.fromEntries(Object.entries(values).map(([key, entry]) => [
        key,
        typeof entry.value === "object" && entry.value !== null
          ? { value: JSON.stringify(entry.value), objectValue: entry.value, secret: entry.secret }
          : { value: String(entry.value), secret: entry.secret },
      ]));
      await stack.setAllConfigJson(JSON.stringify(document));
    }
    if (remove.length > 0) await stack.removeAllConfig([...remove]);
  }

  async preview(onOutput: OutputSink): Promise<PreviewSummary> {
    const stack = await this.stack();
    const result = await streamed(onOutput, (sinks) => stack.preview(sinks));
    return { changes: { ...result.changeSummary } };
  }

  async up(message: string, onOutput: OutputSink): Promise<UpSummary> {
    const stack = await this.stack();
    const result = await streamed(onOutput, (sinks) => stack.up({ message, ...sinks }));
    return { version: result.summary.version, changes: { ...result.summary.resourceChanges } };
  }

  async outputs(): Promise<StackOutputs> {
    const outputs = await (await this.stack()).outputs();
    return Object.fromEntries(Object.entries(outputs).map(([key, output]): [string, { value: unknown; secret: boolean }] => [key, { value: output.value, secret: output.secret }]));
  }
}
