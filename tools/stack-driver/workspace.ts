import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { runCaptured, type Captured } from "./run";

/**
 * A real Pulumi project around this repository's program, for the engine tier: a private
 * directory that links the program (index.ts, components/, policies/, node_modules) and holds
 * the stack's own config file, a file backend and a PULUMI_HOME of its own, so a test never
 * touches the repository's stack files or the user's ~/.pulumi. Every command runs the real
 * `pulumi` CLI with the real providers built by engine/build.sh.
 */

const REPO = path.resolve(__dirname, "../..");
/** What the program needs from the repository; linked, not copied, so it is the code under test. */
const PROJECT_LINKS = ["index.ts", "components", "policies", "node_modules", "package.json", "tsconfig.json"];

/** Where engine/build.sh puts the CLI, the Node.js language host and the providers. */
export function engineBinDir(): string {
  return process.env.DEAN_ENGINE_BIN ?? path.join(REPO, "engine", "bin");
}

/** The binaries a real `pulumi up` of this program needs. */
export const ENGINE_BINARIES = [
  "pulumi",
  "pulumi-language-nodejs",
  "pulumi-resource-command",
  "pulumi-resource-random",
  "pulumi-resource-postgresql",
  "pulumi-resource-docker",
];

/** What is missing for the engine tier, or undefined. */
export function missingEngine(): string | undefined {
  const missing = ENGINE_BINARIES.filter((binary) => !existsSync(path.join(engineBinDir(), binary)));
  return missing.length === 0 ? undefined : `the Pulumi engine is not built (${missing.join(", ")} missing in ${engineBinDir()}); build it with: bash engine/build.sh`;
}

export interface PulumiOptions {
  readonly timeoutMs?: number;
  /** Extra environment for this command only. */
  readonly env?: Record<string, string>;
}

export class EngineWorkspace {
  private constructor(
    readonly dir: string,
    readonly stack: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** A project directory with `Pulumi.<stack>.yaml` copied from `configFile`, and the stack created. */
  static async create(stack: string, configFile: string): Promise<EngineWorkspace> {
    const dir = mkdtempSync(path.join(os.tmpdir(), `dean-engine-${stack}-`));
    for (const entry of PROJECT_LINKS) symlinkSync(path.join(REPO, entry), path.join(dir, entry));
    copyFileSync(path.join(REPO, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    copyFileSync(configFile, path.join(dir, `Pulumi.${stack}.yaml`));
    const state = path.join(dir, ".state");
    const home = path.join(dir, ".pulumi-home");
    mkdirSync(state);
    mkdirSync(home);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${engineBinDir()}:${process.env.PATH ?? ""}`,
      PULUMI_HOME: home,
      PULUMI_BACKEND_URL: `file://${state}`,
      PULUMI_CONFIG_PASSPHRASE: randomBytes(24).toString("hex"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      // Plain, complete output for the test log.
      PULUMI_COLOR: "never",
      NO_COLOR: "1",
    };
    const workspace = new EngineWorkspace(dir, stack, env);
    await workspace.ok(["stack", "init", stack, "--secrets-provider", "passphrase"]);
    return workspace;
  }

  /** Runs `pulumi <args>` in the project directory against this stack's backend. */
  pulumi(args: readonly string[], options: PulumiOptions = {}): Promise<Captured> {
    return runCaptured(path.join(engineBinDir(), "pulumi"), [...args], {
      cwd: this.dir,
      env: { ...this.env, ...options.env },
      timeoutMs: options.timeoutMs ?? 600_000,
    });
  }

  /** Runs another program (dean-ops, say) with this workspace's engine, backend and passphrase. */
  exec(command: string, args: readonly string[], options: PulumiOptions = {}): Promise<Captured> {
    return runCaptured(command, [...args], { cwd: this.dir, env: { ...this.env, ...options.env }, timeoutMs: options.timeoutMs ?? 600_000 });
  }

  /** Like pulumi(), but a non-zero exit is an error that carries the command's output. */
  async ok(args: readonly string[], options: PulumiOptions = {}): Promise<Captured> {
    const result = await this.pulumi(args, options);
    if (result.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited with ${result.code}\n${result.stdout}\n${result.stderr}`);
    return result;
  }

  /** `pulumi up --yes` of this stack, with any extra flags. */
  up(extra: readonly string[] = [], options: PulumiOptions = {}): Promise<Captured> {
    return this.ok(["up", "--yes", "--skip-preview", "--stack", this.stack, ...extra], options);
  }

  /** The stack's outputs, secrets included (the tests read the generated credentials). */
  async outputs(): Promise<Record<string, unknown>> {
    const result = await this.ok(["stack", "output", "--json", "--show-secrets", "--stack", this.stack]);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  /** Sets a config value with --path (plain). */
  async setConfig(key: string, value: string): Promise<void> {
    await this.ok(["config", "set", "--path", "--stack", this.stack, key, value]);
  }

  /** The stack's config file in the project directory. */
  get configFile(): string {
    return path.join(this.dir, `Pulumi.${this.stack}.yaml`);
  }

  /**
   * Replaces the stack's config with these values (`namespace:key` -> value; objects become
   * structured config), keeping the file's `encryptionsalt`. JSON is YAML, so each value is
   * written as JSON: no quoting rules of our own.
   */
  writeConfig(values: Readonly<Record<string, unknown>>): void {
    const salt = /^encryptionsalt:.*$/m.exec(readFileSync(this.configFile, "utf8"))?.[0];
    const lines = Object.entries(values).map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`);
    writeFileSync(this.configFile, `${salt ? `${salt}\n` : ""}config:\n${lines.join("\n")}\n`);
  }

  /** Destroys what is left and removes the stack and the directory. */
  async dispose(): Promise<void> {
    try {
      await this.pulumi(["destroy", "--yes", "--skip-preview", "--stack", this.stack], { timeoutMs: 300_000 });
      await this.pulumi(["stack", "rm", "--yes", "--force", "--stack", this.stack]);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
