import { spawn } from "node:child_process";

/** What a finished program wrote, and how it ended (exit code, or the signal that killed it). */
export interface Captured {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Bound against a hang: the program's process group is killed after it. */
  readonly timeoutMs?: number;
}

/** Runs a program to completion and returns what it wrote; never rejects for a non-zero exit. */
export function runCaptured(command: string, args: readonly string[], options: RunOptions = {}): Promise<Captured> {
  const { timeoutMs = 600_000, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout ends the program and whatever it started.
    const child = spawn(command, [...args], { ...spawnOptions, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`, { cause: error }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? "unknown", stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") });
    });
  });
}
