import * as path from "node:path";
import { preUpgradeLabel } from "../../../components/backup";
import { readStackConfigFile, stackFilePath } from "../../../tools/stack-config-file";
import { applyPathRemovals, applyPathSets } from "../../../ops/config/paths";
import { validateConfig } from "../../../ops/config/validate";
import type { Clock, Console, GlobalOptions } from "../../../ops/context";
import type { ExitCode } from "../../../ops/errors";
import { runDeanOps } from "../../../ops/main";
import type {
  ConfigValues, ContainerState, DockerHost, ExecResult, HttpResult, Json, OutputSink, PreviewSummary, ProgramComparison, ProgramSource, StackOutputs, StackPort, StackUpdate, UpdateKind, UpdateResult, UpSummary,
} from "../../../ops/ports";

/**
 * In-memory stand-ins for the stack and the Docker host. Both append to one call log, so a
 * test can assert the order of operations across them (maintenance update, restore, update).
 */

export type Call =
  | { readonly op: "preflight" | "connect" }
  | { readonly op: "history" | "getConfig" | "outputs" }
  | { readonly op: "setPaths"; readonly values: Readonly<Record<string, string>> }
  | { readonly op: "removePaths"; readonly paths: readonly string[] }
  | { readonly op: "replaceConfig"; readonly values: ConfigValues; readonly remove: readonly string[] }
  | { readonly op: "preview"; readonly config: ConfigValues }
  | { readonly op: "up"; readonly message: string; readonly config: ConfigValues }
  | { readonly op: "inspect"; readonly container: string }
  | { readonly op: "exec"; readonly container: string; readonly command: readonly string[] }
  | { readonly op: "httpGet"; readonly url: string };

export const PROJECT_DIR = path.resolve(__dirname, "../../..");
export const START = new Date("2025-06-15T08:00:00Z");
const CONFIG_WRITES = new Set(["setPaths", "removePaths", "replaceConfig"]);

/** The shipped Pulumi.dev.yaml as the CLI lists it, plus the project's own `pulumi:tags`. */
export function devConfig(): ConfigValues {
  const { values } = readStackConfigFile(stackFilePath(PROJECT_DIR, "dev"));
  const entries = Object.entries(values).map(([key, text]): [string, { value: Json; secret: boolean }] => [
    key,
    { value: /^[[{]/.test(text) ? (JSON.parse(text) as Json) : text, secret: false },
  ]);
  return { ...Object.fromEntries(entries), "pulumi:tags": { value: { system: "dean" }, secret: false } };
}

/** A config with some top-level fields replaced (objects merged one level deep). */
export function withSettings(config: ConfigValues, changes: Readonly<Record<string, Json>>): ConfigValues {
  const result: Record<string, { value: Json; secret: boolean }> = { ...config };
  for (const [key, value] of Object.entries(changes)) {
    const existing = result[key]?.value;
    const merged = typeof value === "object" && value !== null && !Array.isArray(value) && typeof existing === "object" && existing !== null && !Array.isArray(existing)
      ? { ...existing, ...value }
      : value;
    result[key] = { value: merged, secret: result[key]?.secret ?? false };
  }
  return result;
}

export function entry(version: number, config: ConfigValues, result: UpdateResult = "succeeded", kind: UpdateKind = "update"): StackUpdate {
  return {
    version,
    kind,
    result,
    startTime: new Date(START.getTime() - (100 - version) * 3_600_000),
    message: "",
    config,
    unreadableSecrets: [],
    resourceChanges: {},
  };
}

/** The dump the program's pre-upgrade step names for an image (components/backup.ts). */
export function preUpgradeDump(image: string, stamp = "20250615T070000Z"): string {
  return `pre-upgrade-dean_production-${stamp}-${preUpgradeLabel(image)}.dump`;
}

/** The outputs index.ts exports for a config, as a successful update leaves them. */
export function outputsFor(config: ConfigValues, previous?: StackOutputs): StackOutputs {
  const settings = validateConfig(config, "fake outputs");
  const instance = settings.instanceName;
  const image = settings.images.orchestrator;
  const previousImage = previous?.orchestratorImage?.value;
  const plain = (value: unknown) => ({ value, secret: false });
  return {
    publicUrl: plain(settings.nginx.isolate ? "isolated: no port is published" : `https://localhost:${settings.nginx.httpsPort}/`),
    orchestratorImage: plain(image),
    replicas: plain(settings.orchestrator.replicas),
    // The program takes a new pre-upgrade dump only when the image changes.
    lastPreUpgradeBackup: previous && previousImage === image ? previous.lastPreUpgradeBackup : plain(preUpgradeDump(image)),
    connection: { value: { postgres: { password: "app-password", superuserPassword: "su-password" } }, secret: true },
    containers: plain({
      postgres: `${instance}-postgres`,
      redis: `${instance}-redis`,
      nginx: `${instance}-nginx`,
      backup: settings.backup.enabled ? `${instance}-backup` : "",
      orchestrator: Array.from({ length: settings.orchestrator.replicas }, (_, index) => `orchestrator-${index + 1}-abc`),
    }),
    environment: plain(settings.environment),
  };
}

/** The checkout the program comes from: the same program as every recorded commit unless a test says otherwise. */
export class FakeProgram implements ProgramSource {
  readonly compared: string[] = [];
  comparison: (commit: string) => ProgramComparison = () => ({ kind: "same", head: "c0ffee0" });

  async compareWith(commit: string): Promise<ProgramComparison> {
    this.compared.push(commit);
    return this.comparison(commit);
  }
}

export class FakeStack implements StackPort {
  readonly stackName = "dev";
  config: ConfigValues;
  updates: StackUpdate[];
  currentOutputs: StackOutputs;
  /** A failure message for the preview, or none. */
  failPreview?: string;
  /** Decides whether an update fails (message) given the config it runs with. */
  failUp: (config: ConfigValues) => string | undefined = () => undefined;
  /** Runs after each successful update: what the program's own steps do on the host. */
  onUp: (config: ConfigValues) => void = () => undefined;

  constructor(readonly calls: Call[], config: ConfigValues = devConfig(), history?: StackUpdate[]) {
    this.config = config;
    this.updates = history ?? [entry(1, config)];
    this.currentOutputs = this.updates.length > 0 ? outputsFor(config) : {};
  }

  async history(): Promise<StackUpdate[]> {
    this.calls.push({ op: "history" });
    return [...this.updates].sort((a, b) => b.version - a.version);
  }

  async getConfig(): Promise<ConfigValues> {
    this.calls.push({ op: "getConfig" });
    return this.config;
  }

  async setPaths(values: Readonly<Record<string, string>>): Promise<void> {
    this.calls.push({ op: "setPaths", values });
    this.config = applyPathSets(this.config, values);
  }

  async removePaths(paths: readonly string[]): Promise<void> {
    this.calls.push({ op: "removePaths", paths });
    this.config = applyPathRemovals(this.config, paths);
  }

  async replaceConfig(values: ConfigValues, remove: readonly string[]): Promise<void> {
    this.calls.push({ op: "replaceConfig", values, remove });
    const removed = new Set(remove);
    this.config = Object.fromEntries(Object.entries({ ...this.config, ...values }).filter(([key]) => !removed.has(key)));
  }

  async preview(onOutput: OutputSink): Promise<PreviewSummary> {
    this.calls.push({ op: "preview", config: this.config });
    if (this.failPreview) throw new Error(this.failPreview);
    onOutput("Previewing update (dev):\n");
    return { changes: { update: 1, same: 20 } };
  }

  async up(message: string, onOutput: OutputSink): Promise<UpSummary> {
    this.calls.push({ op: "up", message, config: this.config });
    const version = Math.max(0, ...this.updates.map((update) => update.version)) + 1;
    const failure = this.failUp(this.config);
    this.updates.push({ ...entry(version, this.config, failure ? "failed" : "succeeded"), message });
    if (failure) throw new Error(failure);
    onOutput("Updating (dev):\n");
    this.currentOutputs = outputsFor(this.config, this.currentOutputs);
    this.onUp(this.config);
    return { version, changes: { update: 1, same: 20 } };
  }

  async outputs(): Promise<StackOutputs> {
    this.calls.push({ op: "outputs" });
    return this.currentOutputs;
  }
}

export interface FakeDump {
  readonly name: string;
  readonly verified: boolean;
}

export class FakeDocker implements DockerHost {
  /** Overrides of a container's state by name; others are running and healthy. */
  states: Record<string, Partial<ContainerState>> = {};
  /** Dumps in /backups, newest first. */
  dumps: FakeDump[] = [];
  /** `auth:*` keys in Redis. */
  authKeys: string[] = [];
  /** Seconds since the newest good dump finished, or null for none. */
  backupAgeSeconds: number | null = 3600;
  http: HttpResult | Error = { status: 200, body: "{\"status\":\"ok\"}" };
  /** Exit results of dean-backup commands by subcommand (default: success). */
  backupResults: Record<string, ExecResult> = {};
  /** Whether `unlink` of auth keys works. */
  unlinkWorks = true;

  constructor(readonly calls: Call[], private readonly clock: Clock) {}

  async inspect(container: string): Promise<ContainerState> {
    this.calls.push({ op: "inspect", container });
    const labels: Record<string, string> = container.endsWith("-backup") ? { "dean.backup.interval-seconds": "21600" } : {};
    return { name: container, exists: true, status: "running", health: "healthy", labels, ...this.states[container] };
  }

  async exec(container: string, command: readonly string[], onOutput?: OutputSink): Promise<ExecResult> {
    this.calls.push({ op: "exec", container, command });
    const result = this.run(command);
    if (onOutput && result.stderr) onOutput(result.stderr);
    return result;
  }

  private run(command: readonly string[]): ExecResult {
    const ok = (stdout: string): ExecResult => ({ exitCode: 0, stdout, stderr: "" });
    if (command[0] === "cat") {
      const epoch = this.backupAgeSeconds === null ? null : Math.round(this.clock.now().getTime() / 1000 - this.backupAgeSeconds);
      const newest = epoch === null ? null : this.dumps.find((dump) => dump.verified)?.name ?? "scheduled-dean_production-20250615T020000Z.dump";
      return ok(JSON.stringify({ newestGoodDump: newest, newestGoodDumpTime: null, newestGoodDumpEpoch: epoch, lastResult: "success", lastDump: newest, lastRunTime: "", lastError: null }));
    }
    if (command[0] === "dean-redis-cli") return ok(this.authKeys.map((key) => `${key}\n`).join(""));
    if (command[0] === "sh") {
      if (this.unlinkWorks) this.authKeys = [];
      return this.unlinkWorks ? ok("") : { exitCode: 1, stdout: "", stderr: "NOAUTH Authentication required." };
    }
    if (command[0] === "dean-backup") {
      const action = command[1];
      if (this.backupResults[action]) return this.backupResults[action];
      if (action === "list") return ok(this.dumps.map((dump) => `${dump.name}\t1024\t2025-06-15T07:00:00Z\t${dump.verified ? "yes" : "no"}\n`).join(""));
      if (action === "now") return ok("manual-dean_production-20250615T080000Z.dump\n");
      if (action === "verify") return ok(`verified ${command[2] ?? this.dumps[0]?.name} (restore)\n`);
      if (action === "restore") return ok(`restored ${command[2]} into dean_production: 12 tables in schema public\n`);
    }
    return { exitCode: 127, stdout: "", stderr: `unexpected command: ${command.join(" ")}` };
  }

  async httpGet(url: string): Promise<HttpResult> {
    this.calls.push({ op: "httpGet", url });
    if (this.http instanceof Error) throw this.http;
    return this.http;
  }
}

export class FakeConsole implements Console {
  readonly lines: string[] = [];
  readonly errors: string[] = [];
  readonly questions: string[] = [];
  /** Answers to give, in order; an empty queue answers no. */
  answers: boolean[] = [];
  interactive = true;

  print(line: string): void {
    this.lines.push(line);
  }

  error(line: string): void {
    this.errors.push(line);
  }

  stream = (text: string): void => {
    this.lines.push(text);
  };

  async confirm(question: string): Promise<boolean> {
    this.questions.push(question);
    return this.answers.shift() ?? false;
  }

  get text(): string {
    return this.lines.join("\n");
  }

  get errorText(): string {
    return this.errors.join("\n");
  }
}

export class FakeClock implements Clock {
  private current = START.getTime();

  now(): Date {
    return new Date(this.current);
  }

  async sleep(milliseconds: number): Promise<void> {
    this.current += milliseconds;
  }
}

/** A stack, a Docker host and a terminal, all in memory, sharing one call log. */
export class World {
  readonly calls: Call[] = [];
  readonly clock = new FakeClock();
  readonly console = new FakeConsole();
  readonly stack: FakeStack;
  readonly docker: FakeDocker;
  readonly program = new FakeProgram();
  /** The prerequisite check: none by default (the stack is in memory); tests put the real one here. */
  preflight: (options: GlobalOptions) => void = () => undefined;

  constructor(config: ConfigValues = devConfig(), history?: StackUpdate[]) {
    this.stack = new FakeStack(this.calls, config, history);
    this.docker = new FakeDocker(this.calls, this.clock);
  }

  /** Runs `dean-ops <argv>` against this world. */
  run(...argv: string[]): Promise<ExitCode> {
    return runDeanOps(argv, {
      console: this.console,
      clock: this.clock,
      preflight: (options) => {
        this.calls.push({ op: "preflight" });
        this.preflight(options);
      },
      connect: () => {
        this.calls.push({ op: "connect" });
        return { stack: this.stack, docker: this.docker, program: this.program };
      },
      defaultCwd: PROJECT_DIR,
    });
  }

  /** The calls that changed the stack's config or deployed it, in order. */
  get changes(): Call[] {
    return this.calls.filter((call) => CONFIG_WRITES.has(call.op) || call.op === "up");
  }

  /** The value at a path of the current config, e.g. ("dean:orchestrator", "replicas"). */
  setting(key: string, ...segments: (string | number)[]): Json | undefined {
    let value: Json | undefined = this.stack.config[key]?.value;
    for (const segment of segments) {
      value = typeof value === "object" && value !== null ? (value as Record<string, Json>)[segment] : undefined;
    }
    return value;
  }
}
