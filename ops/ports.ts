/**
 * The two things dean-ops drives: the Pulumi stack and the Docker host it deploys to.
 * Commands depend on these interfaces only; the adapters under ops/adapters are thin
 * translations to the Automation API and to dockerode, and the tests use in-memory fakes.
 */

/** A JSON value, as structured Pulumi config holds it. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * One top-level config key's value. Top-level scalars are strings (Pulumi stores them so);
 * structured keys such as `dean:nginx` hold their object or list.
 */
export interface ConfigEntry {
  readonly value: Json;
  readonly secret: boolean;
}

/** A stack's config by full key (`dean:orchestrator`), as `pulumi config --json` lists it. */
export type ConfigValues = Readonly<Record<string, ConfigEntry>>;

export type UpdateKind = "update" | "preview" | "refresh" | "rename" | "destroy" | "import";
export type UpdateResult = "not-started" | "in-progress" | "succeeded" | "failed";

/** One entry of `pulumi stack history`, with the config the operation ran with. */
export interface StackUpdate {
  readonly version: number;
  readonly kind: UpdateKind;
  readonly result: UpdateResult;
  readonly startTime: Date;
  readonly message: string;
  readonly config: ConfigValues;
  /** Secret keys whose recorded values could not be decrypted (they cannot be re-applied). */
  readonly unreadableSecrets: readonly string[];
  /** Resource operation counts, e.g. { update: 2, same: 30 }. */
  readonly resourceChanges: Readonly<Record<string, number>>;
  /** The git commit the program was deployed from (`git.head`), when the project was a checkout. */
  readonly programCommit?: string;
}

/** How the program in the project directory relates to a recorded commit. */
export type ProgramComparison =
  /** The program's files are those of the commit. */
  | { readonly kind: "same"; readonly head: string }
  /** They differ (another commit, or uncommitted changes): `files` lists which. */
  | { readonly kind: "differs"; readonly head: string; readonly files: readonly string[] }
  /** The commit is not known here, or the project is not a git checkout. */
  | { readonly kind: "unknown"; readonly reason: string };

/** The program's source: the git checkout the project directory is in. */
export interface ProgramSource {
  compareWith(commit: string): Promise<ProgramComparison>;
}

/** A stack output and whether Pulumi holds it as a secret. */
export interface OutputEntry {
  readonly value: unknown;
  readonly secret: boolean;
}

export type StackOutputs = Readonly<Record<string, OutputEntry>>;

/** Streams the engine's text (the preview diff, update progress) as it arrives. */
export type OutputSink = (text: string) => void;

export interface PreviewSummary {
  /** Planned resource operations, e.g. { replace: 1, same: 30 }. */
  readonly changes: Readonly<Record<string, number>>;
}

export interface UpSummary {
  /** The history version this update created. */
  readonly version: number;
  readonly changes: Readonly<Record<string, number>>;
}

/**
 * The Pulumi stack. Preview and up throw when the engine reports failure; the error message
 * is what the operator needs (the streamed output already showed the rest).
 */
export interface StackPort {
  readonly stackName: string;
  /** Every recorded operation, newest first, each with its config (secrets decrypted). */
  history(): Promise<StackUpdate[]>;
  /** The config the next update will use. */
  getConfig(): Promise<ConfigValues>;
  /**
   * Sets values addressed by path, like `pulumi config set-all --path`: `dean:nginx.maintenance`
   * sets one field of the `dean:nginx` object; `true`/`false` and whole numbers become booleans
   * and numbers, everything else a string.
   */
  setPaths(values: Readonly<Record<string, string>>): Promise<void>;
  /** Removes values addressed by path (`dean:nginx.blockedIps[2]`), in the order given. */
  removePaths(paths: readonly string[]): Promise<void>;
  /**
   * Replaces whole top-level keys, keeping objects structured and secrets encrypted, then
   * removes the listed top-level keys. Used to restore a recorded config exactly.
   */
  replaceConfig(values: ConfigValues, remove: readonly string[]): Promise<void>;
  preview(onOutput: OutputSink): Promise<PreviewSummary>;
  up(message: string, onOutput: OutputSink): Promise<UpSummary>;
  /** The outputs of the last update (secret ones decrypted, flagged). */
  outputs(): Promise<StackOutputs>;
}

export type ContainerHealth = "healthy" | "unhealthy" | "starting" | "none";

/** What the Docker engine says about one container. */
export interface ContainerState {
  readonly name: string;
  readonly exists: boolean;
  /** Docker's state: running, restarting, exited, ... ("missing" when it does not exist). */
  readonly status: string;
  readonly health: ContainerHealth;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

/**
 * The Docker host the stack runs on: its containers, and the endpoint nginx publishes on it
 * (the public URL is served from this host's ports, so probing it belongs here).
 */
export interface DockerHost {
  inspect(container: string): Promise<ContainerState>;
  /** Runs a command in a running container; `onOutput` receives its output as it comes. */
  exec(container: string, command: readonly string[], onOutput?: OutputSink): Promise<ExecResult>;
  /** GET a URL; loopback URLs skip TLS verification (self-signed certificates). */
  httpGet(url: string): Promise<HttpResult>;
}
