import { PassThrough } from "node:stream";
import type Dockerode from "dockerode";
import { docker } from "./docker-client";
import { sleep } from "./wait";

/** `docker exec` through the Engine API, bounded in time, with stdout, stderr and exit code. */

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  /** Extra environment (NAME=value), added to the container's. */
  readonly env?: readonly string[];
  readonly user?: string;
  readonly timeoutMs?: number;
  /** The engine the container runs on (a swarm node's); the local one by default. */
  readonly engine?: Dockerode;
}

export async function execIn(container: string, command: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const engine = options.engine ?? docker();
  const exec = await engine.getContainer(container).exec({
    Cmd: [...command],
    Env: options.env ? [...options.env] : undefined,
    User: options.user,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const out = new PassThrough();
  const err = new PassThrough();
  out.on("data", (chunk: Buffer) => stdout.push(chunk));
  err.on("data", (chunk: Buffer) => stderr.push(chunk));
  engine.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`docker exec ${container} ${command.join(" ")} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    stream.on("end", done);
    stream.on("close", done);
    stream.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  // The exit code is recorded a moment after the output stream ends.
  for (let attempt = 0; attempt < 50; attempt++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) {
      return { exitCode: info.ExitCode, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") };
    }
    await sleep(100);
  }
  throw new Error(`docker exec ${container} ${command.join(" ")}: no exit code after its output ended`);
}

/** Like execIn, but a non-zero exit is an error carrying the output. */
export async function execOk(container: string, command: readonly string[], options: ExecOptions = {}): Promise<string> {
  const result = await execIn(container, command, options);
  if (result.exitCode !== 0) {
    throw new Error(`docker exec ${container} ${command.join(" ")} exited with ${result.exitCode}:\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}
