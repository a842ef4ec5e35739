import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { DeployLog } from "./deploy-log";
import { stepsFromEventLog } from "./event-log";
import { type ConfigOverrides, structuredConfig } from "./stack-config";
import { EngineWorkspace } from "./workspace";

/**
 * A stack deployed by the real Pulumi engine (the CLI and plugins engine/build.sh builds), in a
 * private project directory with its own file backend: what the e2e tier and the benchmarks
 * drive. Each update writes the stack's config (its config file plus the overrides of that
 * update, not cumulative) and runs `pulumi up`; the engine's event log gives every step, in
 * order, to `log`.
 */

interface ExportedResource {
  readonly urn: string;
  readonly outputs?: Record<string, unknown>;
}

/** `pulumi stack export --show-secrets` shows a secret as its envelope with the plaintext as JSON. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

function revealed(value: unknown): unknown {
  if (typeof value === "object" && value !== null && SECRET_SIG_KEY in value) {
    const plaintext = (value as { plaintext?: string }).plaintext;
    return plaintext === undefined ? undefined : JSON.parse(plaintext);
  }
  return value;
}

/** A failed update: the engine's output, and the deployment index its steps are logged under. */
export class UpdateFailed extends Error {
  constructor(readonly deployment: number, readonly output: string) {
    super(`pulumi up #${deployment} failed:\n${output}`);
    this.name = "UpdateFailed";
  }
}

export class EngineStack {
  readonly log = new DeployLog();
  /** The stack outputs after the last successful update. */
  outputs: Record<string, unknown> = {};
  /** The index of the last update or destroy (0 for the first `up`). */
  lastDeployment = -1;
  private exported?: readonly ExportedResource[];

  private constructor(private readonly workspace: EngineWorkspace, private readonly configFile: string) {}

  /** A new stack from `configFile`; nothing is deployed until update(). */
  static async create(stack: string, configFile: string): Promise<EngineStack> {
    return new EngineStack(await EngineWorkspace.create(stack, configFile), configFile);
  }

  /** The config file plus `overrides`, deployed by `pulumi up`. Returns the deployment index. */
  async update(overrides: ConfigOverrides = {}): Promise<number> {
    this.workspace.writeConfig(structuredConfig(this.configFile, overrides));
    const deployment = await this.run(["up", "--yes", "--skip-preview", "--stack", this.workspace.stack], false);
    this.outputs = await this.workspace.outputs();
    return deployment;
  }

  /** `pulumi destroy`: every resource, the retained ones only leave the state. */
  async destroyAll(): Promise<number> {
    return this.run(["destroy", "--yes", "--skip-preview", "--stack", this.workspace.stack], true);
  }

  /** A string output of the resource named `name` (its logical name), secrets revealed. */
  stringOutput(name: string, key: string): string {
    const resource = (this.exported ?? []).find((candidate) => candidate.urn.endsWith(`::${name}`));
    const value = revealed(resource?.outputs?.[key]);
    if (typeof value !== "string") throw new Error(`the stack has no string output ${key} of ${name}`);
    return value;
  }

  /** Every step of one deployment (or all), one line each, for failure messages. */
  describe(deployment?: number): string {
    return this.log.describe(deployment);
  }

  /** Removes the stack and its directory (after destroyAll, or to abandon it). */
  async dispose(): Promise<void> {
    await this.workspace.dispose();
  }

  private async run(args: readonly string[], destroying: boolean): Promise<number> {
    const deployment = ++this.lastDeployment;
    const eventLog = path.join(this.workspace.dir, `events-${deployment}.jsonl`);
    // --event-log exists only with PULUMI_DEBUG_COMMANDS (the Automation API sets it too).
    const result = await this.workspace.pulumi([...args, "--event-log", eventLog], { env: { PULUMI_DEBUG_COMMANDS: "true" } });
    const output = `${result.stdout}\n${result.stderr}`;
    // Without an event log the engine stopped before the update began (config, program).
    if (!existsSync(eventLog)) throw new UpdateFailed(deployment, output);
    try {
      for (const step of stepsFromEventLog(readFileSync(eventLog, "utf8"), deployment, destroying)) this.log.record(step);
    } finally {
      rmSync(eventLog, { force: true });
    }
    await this.exportState();
    if (result.code !== 0) throw new UpdateFailed(deployment, output);
    return deployment;
  }

  private async exportState(): Promise<void> {
    const exported = await this.workspace.ok(["stack", "export", "--show-secrets", "--stack", this.workspace.stack]);
    this.exported = (JSON.parse(exported.stdout) as { deployment?: { resources?: ExportedResource[] } }).deployment?.resources ?? [];
  }
}
