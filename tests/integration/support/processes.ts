import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { GiveUp, waitFor } from "../../../tools/stack-driver/wait";

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port was assigned");
  return address.port;
}


export { GiveUp, sleep, waitFor } from "../../../tools/stack-driver/wait";

/** True while a TCP connection to 127.0.0.1:port is accepted. */
export function portAcceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.setTimeout(1000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** A long-running program started by a test; its output is kept for failure messages. */
export interface RunningProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything the program wrote so far (stdout, then stderr). */
  output(): string;
  /** Lines written to stdout only. */
  stdoutLines(): string[];
}

export interface StartOptions extends Omit<SpawnOptions, "stdio"> {
  /**
   * Output goes to `<logPrefix>.out` and `<logPrefix>.err`: files rather than Node's pipes,
   * which are sockets that programs cannot reopen as /dev/stdout or /dev/stderr (nginx does).
   */
  readonly logPrefix: string;
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

export function startProcess(command: string, args: readonly string[], options: StartOptions): RunningProcess {
  const { logPrefix, ...spawnOptions } = options;
  const stdout = openSync(`${logPrefix}.out`, "a");
  const stderr = openSync(`${logPrefix}.err`, "a");
  try {
    const child = spawn(command, args, { ...spawnOptions, stdio: ["ignore", stdout, stderr] });
    if (child.pid === undefined) throw new Error(`cannot start ${command}`);
    child.on("error", () => undefined);
    return {
      pid: child.pid,
      child,
      output: () => readOrEmpty(`${logPrefix}.out`) + readOrEmpty(`${logPrefix}.err`),
      stdoutLines: () => readOrEmpty(`${logPrefix}.out`).split("\n").filter((line) => line !== ""),
    };
  } finally {
    closeSync(stdout);
    closeSync(stderr);
  }
}

export interface Captured {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to completion (killed by PID after `timeoutMs`) and returns what it wrote. */
export async function runCaptured(command: string, args: readonly string[], options: Omit<SpawnOptions, "stdio"> & { readonly timeoutMs?: number } = {}): Promise<Captured> {
  const { timeoutMs = 120_000, ...spawnOptions } = options;
  const dir = mkdtempSync(path.join(os.tmpdir(), "dean-run-"));
  try {
    const running = startProcess(command, args, { ...spawnOptions, logPrefix: path.join(dir, "run") });
    let code: number | string;
    try {
      code = await exitOf(running.child, timeoutMs);
    } catch (error) {
      await stopPid(running.pid, "SIGKILL");
      throw new Error(`${(error as Error).message}: ${command} ${args.join(" ")}\n${running.output()}`);
    }
    return { code, stdout: readOrEmpty(path.join(dir, "run.out")), stderr: readOrEmpty(path.join(dir, "run.err")) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** False once the process is gone or a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Stops one process by PID: `signal`, then SIGKILL if it is still there after `timeoutMs`. */
export async function stopPid(pid: number, signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, signal);
  try {
    await waitFor(`process ${pid} to exit`, () => (isAlive(pid) ? undefined : true), timeoutMs, 50);
  } catch {
    if (isAlive(pid)) process.kill(pid, "SIGKILL");
    await waitFor(`process ${pid} to die after SIGKILL`, () => (isAlive(pid) ? undefined : true), 5_000, 50);
  }
}

/** Resolves with the exit code (or the signal's name) once the child has exited, within `timeoutMs`. */
export function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process ${child.pid} did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal ?? "unknown");
    });
  });
}

/** Waits until a started server accepts connections on every port; gives up at once if it exits. */
export async function waitUntilListening(running: RunningProcess, ports: readonly number[], what: string, timeoutMs = 15_000): Promise<void> {
  try {
    await waitFor(`${what} to listen`, async () => {
      if (running.child.exitCode !== null || running.child.signalCode !== null) {
        throw new GiveUp(`${what} exited (${running.child.exitCode ?? running.child.signalCode})`);
      }
      for (const port of ports) {
        if (!(await portAcceptsConnections(port))) return undefined;
      }
      return true;
    }, timeoutMs);
  } catch (error) {
    await stopPid(running.pid);
    throw new Error(`${(error as Error).message}\n${running.output()}`);
  }
}
