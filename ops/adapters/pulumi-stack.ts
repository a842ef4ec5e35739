import { existsSync } from "node:fs";
import * as path from "node:path";
import { type ConfigMap, LocalWorkspace, PulumiCommand, Stack, StackNotFoundError } from "@pulumi/pulumi/automation";
import { refused } from "../errors";
import type { ConfigValues, OutputSink, PreviewSummary, StackOutputs, StackPort, StackUpdate, UpSummary } from "../ports";
import { engineFailure, stderrSummary } from "./engine-error";
import { setAllDocument, toConfigValues, toStackUpdate } from "./pulumi-config";
import { setSecretConfig } from "./secret-config";

/** Entries per `pulumi stack history` page; pages are read until one comes back short. */
const HISTORY_PAGE_SIZE = 100;

export interface PulumiStackOptions {
  /** A Pulumi installation root (the CLI is `<root>/bin/pulumi`) instead of `pulumi` on PATH. */
  readonly pulumiRoot?: string;
}

interface Selected {
  readonly stack: Stack;
  readonly workspace: LocalWorkspace;
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
    throw new Error(stderrSummary(stderr.join("")) || engineFailure(error));
  }
}

/** A secret's value as the CLI stores it: text. A structured secret would need a command line per field. */
function secretText(key: string, value: ConfigValues[string]["value"]): string {
  if (typeof value === "string") return value;
  throw new Error(`${key} is a structured secret: dean-ops sets secrets only whole, as text, so that no value reaches a command line; set it by hand (pulumi config set --secret --path ...)`);
}

/**
 * A self-managed backend (file, S3, ...) records no version numbers: every entry of
 * `pulumi stack history` has version 0 there. Numbered in order, oldest 1, as Pulumi Cloud
 * numbers them, so that `dean-ops history` and `rollback --to` can name an update.
 */
export function numbered(entries: readonly StackUpdate[]): StackUpdate[] {
  if (!entries.some((entry) => entry.version === 0)) return [...entries];
  return [...entries]
    .sort((a, b) => a.startTime.getTime() - b.startTime.getTime())
    .map((entry, index) => ({ ...entry, version: index + 1 }));
}

/**
 * StackPort over the Automation API: the project in `workDir`, run by the local Pulumi CLI.
 * Every failure is reported by the CLI's stderr only (engine-error.ts), and secret values are
 * written through stdin (secret-config.ts): no decrypted value is put on a command line.
 */
export class PulumiStack implements StackPort {
  private selected?: Promise<Selected>;

  constructor(
    readonly stackName: string,
    private readonly workDir: string,
    private readonly options: PulumiStackOptions = {},
  ) {}

  /** Selected on first use, after the arguments and the prerequisites have been checked. */
  private select(): Promise<Selected> {
    this.selected ??= (async () => {
      try {
        const pulumiCommand = this.options.pulumiRoot === undefined ? undefined : await PulumiCommand.get({ root: this.options.pulumiRoot });
        const workspace = await LocalWorkspace.create({ workDir: this.workDir, pulumiCommand });
        return { stack: await Stack.select(this.stackName, workspace), workspace };
      } catch (error) {
        // Opening a stack changes nothing: whatever went wrong, nothing was changed.
        if (error instanceof StackNotFoundError) throw refused(`stack ${this.stackName} does not exist in the backend of ${this.workDir}; nothing was changed`, ["pulumi stack ls lists the stacks there"]);
        throw refused(`cannot open stack ${this.stackName} in ${this.workDir}; nothing was changed: ${engineFailure(error)}`);
      }
    })();
    return this.selected;
  }

  /** One engine call; its failure is reported as `what` and the CLI's stderr. */
  private async engine<T>(what: string, operation: (selected: Selected) => Promise<T>): Promise<T> {
    const selected = await this.select();
    try {
      return await operation(selected);
    } catch (error) {
      throw new Error(`${what}: ${engineFailure(error)}`);
    }
  }

  history(): Promise<StackUpdate[]> {
    return this.engine("cannot read the stack history", async ({ stack }) => {
      const seen = new Set<string>();
      const entries: StackUpdate[] = [];
      for (let page = 1; ; page++) {
        // showSecrets: rollback re-applies secret values, so it needs them decrypted.
        const summaries = await stack.history(HISTORY_PAGE_SIZE, page, true);
        let fresh = 0;
        for (const summary of summaries) {
          const key = `${summary.version} ${summary.startTime.toISOString()} ${summary.kind}`;
          if (seen.has(key)) continue;
          seen.add(key);
          entries.push(toStackUpdate(summary));
          fresh++;
        }
        // A backend that ignores paging returns the same entries again: stop when nothing is new.
        if (summaries.length < HISTORY_PAGE_SIZE || fresh === 0) break;
      }
      return numbered(entries).sort((a, b) => b.version - a.version);
    });
  }

  async getConfig(): Promise<ConfigValues> {
    const { values, unreadable } = toConfigValues(await this.engine("cannot read the stack config", ({ stack }) => stack.getAllConfig()));
    if (unreadable.length > 0) throw new Error(`cannot read the config values of ${unreadable.join(", ")} (are the stack's secrets decryptable here?)`);
    return values;
  }

  setPaths(values: Readonly<Record<string, string>>): Promise<void> {
    // Plain values typed by the operator (replicas, an image, an address): argv is fine for them.
    const config: ConfigMap = Object.fromEntries(Object.entries(values).map(([path, value]) => [path, { value, secret: false }]));
    return this.engine("cannot write the stack config", ({ stack }) => stack.setAllConfig(config, true));
  }

  removePaths(paths: readonly string[]): Promise<void> {
    return this.engine("cannot write the stack config", ({ stack }) => stack.removeAllConfig([...paths], true));
  }

  async replaceConfig(values: ConfigValues, remove: readonly string[]): Promise<void> {
    const entries = Object.entries(values);
    const plain = Object.fromEntries(entries.filter(([, entry]) => !entry.secret));
    const secrets = entries.filter(([, entry]) => entry.secret).map(([key, entry]) => [key, secretText(key, entry.value)] as const);
    await this.engine("cannot write the stack config", async ({ stack, workspace }) => {
      if (Object.keys(plain).length > 0) await stack.setAllConfigJson(setAllDocument(plain));
      for (const [key, text] of secrets) await setSecretConfig(workspace, this.stackName, key, text);
      if (remove.length > 0) await stack.removeAllConfig([...remove]);
    });
  }

  /**
   * The project's policy pack on every preview and update, with the stack's pack config when
   * there is one (policies/config/<stack>.json, as `npm run up` passes it): a mandatory
   * violation fails the preview, so a change the pack refuses changes nothing.
   */
  private policies(): { policyPacks: string[]; policyPackConfigs?: string[] } {
    const pack = path.join(this.workDir, "policies");
    const config = path.join(pack, "config", `${this.stackName}.json`);
    return existsSync(config) ? { policyPacks: [pack], policyPackConfigs: [config] } : { policyPacks: [pack] };
  }

  async preview(onOutput: OutputSink): Promise<PreviewSummary> {
    const { stack } = await this.select();
    const result = await streamed(onOutput, (sinks) => stack.preview({ ...this.policies(), ...sinks }));
    return { changes: { ...result.changeSummary } };
  }

  async up(message: string, onOutput: OutputSink): Promise<UpSummary> {
    const { stack } = await this.select();
    const result = await streamed(onOutput, (sinks) => stack.up({ message, ...this.policies(), ...sinks }));
    return { version: result.summary.version, changes: { ...result.summary.resourceChanges } };
  }

  async outputs(): Promise<StackOutputs> {
    const outputs = await this.engine("cannot read the stack outputs", ({ stack }) => stack.outputs());
    return Object.fromEntries(Object.entries(outputs).map(([key, output]): [string, { value: unknown; secret: boolean }] => [key, { value: output.value, secret: output.secret }]));
  }
}
