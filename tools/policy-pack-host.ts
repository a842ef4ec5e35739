import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import type * as grpcModule from "@grpc/grpc-js";
import type * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import type * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type { Empty as EmptyMessage } from "google-protobuf/google/protobuf/empty_pb";

/**
 * Starts a policy pack the way the Pulumi CLI does and talks to it over the Analyzer gRPC
 * protocol, as the engine does: the pack process prints the port of its Analyzer server, and
 * every request goes through @pulumi/policy's own server (makeAnalyzeRpcFun and friends).
 */

/**
 * How to start the pack's index.ts:
 * - `pulumi` (default): what `pulumi preview --policy-pack` runs. Its pulumi-analyzer-policy
 *   shim runs @pulumi/pulumi/cmd/run-policy-pack in the pack directory, which registers ts-node
 *   with type checking: about 13 s the first time on this machine, 2 s once ts-node's cache
 *   (in the temp directory) holds the compiled files.
 * - `tsx`: the same entry point and the same @pulumi/policy server, transpiled by tsx
 *   (type checking is `npm run typecheck`'s job): about 2 s, always. The tests use it.
 */
export type PackLauncher = "pulumi" | "tsx";
export const PACK_LAUNCHERS: readonly PackLauncher[] = ["pulumi", "tsx"];

export interface PolicyPackHost {
  /** What GetAnalyzerInfo answered when the pack started: name, version, policies, schemas. */
  readonly info: analyzer.AnalyzerInfo;
  configureStack(request: analyzer.AnalyzerStackConfigureRequest): Promise<void>;
  configure(request: analyzer.ConfigureAnalyzerRequest): Promise<void>;
  analyze(request: analyzer.AnalyzeRequest): Promise<analyzer.AnalyzeResponse>;
  analyzeStack(request: analyzer.AnalyzeStackRequest): Promise<analyzer.AnalyzeResponse>;
  /** Closes the channel and stops the pack process. */
  close(): Promise<void>;
}

/** The pack could not be started (it did not compile, or it exited before serving). */
export class PolicyPackStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyPackStartError";
  }
}

// The gRPC and protobuf modules @pulumi/pulumi's generated code uses, loaded once with this
// module: a message built from another instance of them fails to serialize.
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
function fromPulumi<T>(id: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve(id, { paths: [pulumiDir] })) as T;
}
const grpc = fromPulumi<typeof grpcModule>("@grpc/grpc-js");
const { AnalyzerClient } = fromPulumi<typeof analyzerGrpc>("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Empty } = fromPulumi<{ Empty: typeof EmptyMessage }>("google-protobuf/google/protobuf/empty_pb");

/** The pulumi-analyzer-policy shim passes the engine's address first; run-policy-pack drops it unread. */
const ENGINE_ADDRESS_UNUSED = "127.0.0.1:0";
/** Same limit as the pack's server (400 MiB): a large stack's AnalyzeStack request is big. */
const MAX_MESSAGE_BYTES = 400 * 1024 * 1024;
const START_TIMEOUT_MS = 120_000;

function launchArguments(launcher: PackLauncher, packDir: string): string[] {
  if (launcher === "pulumi") {
    return [require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] }), ENGINE_ADDRESS_UNUSED, "."];
  }
  return ["--require", require.resolve("tsx/cjs"), "index.ts"];
}

/** Waits for the port the pack's server prints as its first line of output. */
function portOf(child: ChildProcess, describeFailure: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => fail(`it printed no port within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new PolicyPackStartError(`the policy pack did not start: ${why}${describeFailure()}`));
    };
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const line = /^\s*(\d+)\s*\n/.exec(output);
      if (line) {
        clearTimeout(timer);
        resolve(Number(line[1]));
      }
    });
    child.once("error", (error) => fail(error.message));
    child.once("exit", (code, signal) => fail(`it exited (${signal ?? `code ${code}`})`));
  });
}

type Callback<T> = (error: grpcModule.ServiceError | null, response: T) => void;

function unary<T>(start: (callback: Callback<T>) => unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    start((error, response) => (error ? reject(error) : resolve(response)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Starts the pack in `packDir` (where PulumiPolicy.yaml and package.json are) and connects to it. */
export async function startPolicyPack(packDir: string, options: { launcher?: PackLauncher; env?: NodeJS.ProcessEnv } = {}): Promise<PolicyPackHost> {
  const launcher = options.launcher ?? "pulumi";
  const child = spawn(process.execPath, launchArguments(launcher, packDir), {
    cwd: packDir,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    errors += chunk.toString("utf8");
  });
  const ensureStopped = () => child.kill("SIGKILL");
  process.once("exit", ensureStopped);

  let client: analyzerGrpc.AnalyzerClient | undefined;
  const close = async () => {
    process.removeListener("exit", ensureStopped);
    client?.close();
    await stop(child);
  };
  try {
    const port = await portOf(child, () => (errors.trim() ? `:\n${errors.trim()}` : ""));
    const connected = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
      "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
    });
    client = connected;
    const info = await unary<analyzer.AnalyzerInfo>((callback) => connected.getAnalyzerInfo(new Empty(), callback));
    return {
      info,
      configureStack: async (request) => {
        await unary((callback) => connected.configureStack(request, callback));
      },
      configure: async (request) => {
        await unary((callback) => connected.configure(request, callback));
      },
      analyze: (request) => unary((callback) => connected.analyze(request, callback)),
      analyzeStack: (request) => unary((callback) => connected.analyzeStack(request, callback)),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
