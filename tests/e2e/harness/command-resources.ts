import { spawn } from "node:child_process";
import type { ResourceHandler } from "./handler";
import { InputReader } from "./inputs";
import type { AppliedResource, Registration } from "./resource";

/**
 * command:local:Command, run like @pulumi/command's local provider: `/bin/sh -c <command>`
 * with the harness's environment plus `environment`; a non-zero exit fails the step; stdout
 * and stderr become outputs with one trailing newline removed (strings.TrimSuffix). On update
 * the `update` command runs when set, else `create` again, with PULUMI_COMMAND_STDOUT/STDERR
 * holding the previous outputs. The program sets no `delete`, so deleting runs nothing.
 */

export const COMMAND = "command:local:Command";

/** Longest any command may run (a pre-upgrade dump or a migration of the e2e database). */
const COMMAND_TIMEOUT_MS = 5 * 60_000;

interface CommandInputs {
  readonly create: string;
  readonly update?: string;
  readonly environment: Record<string, string>;
  /** Written to the command's standard input (the provider's `stdin`). */
  readonly stdin?: string;
}

function commandInputs(registration: Registration): CommandInputs {
  const inputs = InputReader.of(registration.type, registration.name, registration.inputs, ["create", "update", "environment", "stdin", "triggers", "logging"]);
  // Triggers are compared by the planner as a whole; logging only shapes Pulumi's own output.
  if (inputs.has("triggers") && !Array.isArray(inputs.raw("triggers"))) throw inputs.refuse("triggers", "must be a list");
  const logging = inputs.optionalString("logging");
  if (logging !== undefined && !["stdout", "stderr", "stdoutAndStderr", "none"].includes(logging)) throw inputs.refuse("logging", `is not a logging mode (got ${logging})`);
  return { create: inputs.string("create"), update: inputs.optionalString("update"), environment: inputs.optionalStringMap("environment"), stdin: inputs.optionalString("stdin") };
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

function trimOneNewline(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

/**
 * The command's stdout and stderr must be real pipes, as Go's os/exec gives them: Node's
 * "pipes" are socket pairs, and a program that reopens /dev/stdout (openssl -keyout
 * /dev/stdout) fails on a socket with ENXIO. This bash wrapper puts a pipe to `cat` on each
 * stream; pipefail keeps the command's own exit status.
 */
const REAL_PIPES = 'set -o pipefail; { /bin/sh -c "$1" 2>&1 1>&3 3>&- | cat 1>&2 3>&-; } 3>&1 | cat';

/** Runs one shell command; rejects with its exit status and stderr when it fails. */
export function runShell(label: string, command: string, environment: Record<string, string>, stdin?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout ends the shell and whatever it started.
    const child = spawn("/bin/bash", ["-c", REAL_PIPES, "dean-e2e-command", command], { env: { ...process.env, ...environment }, stdio: ["pipe", "pipe", "pipe"], detached: true });
    // Without `stdin` the command reads end-of-file at once. One that exits without reading
    // all of it closes the pipe early: not an error of ours.
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin ?? "");
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    }, COMMAND_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${label}: cannot run ${JSON.stringify(command)}: ${error.message}`, { cause: error }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const result = { stdout: trimOneNewline(Buffer.concat(stdout).toString("utf8")), stderr: trimOneNewline(Buffer.concat(stderr).toString("utf8")) };
      if (code === 0) {
        resolve(result);
        return;
      }
      // stderr only: stdout may hold a secret (the TLS key) the program keeps out of logs.
      const status = signal ? `was killed by ${signal}${signal === "SIGKILL" ? ` (timeout ${COMMAND_TIMEOUT_MS} ms)` : ""}` : `exited with code ${code}`;
      reject(new Error(`${label}: ${JSON.stringify(command)} ${status}:\n${result.stderr}`));
    });
  });
}

async function run(registration: Registration, command: string, extraEnvironment: Record<string, string>) {
  const inputs = commandInputs(registration);
  const result = await runShell(registration.name, command, { ...inputs.environment, ...extraEnvironment }, inputs.stdin);
  return { outputs: { stdout: result.stdout, stderr: result.stderr }, physicalId: registration.name };
}

function previousOutput(previous: AppliedResource, key: "stdout" | "stderr"): string {
  const value = previous.outputs[key];
  return typeof value === "string" ? value : "";
}

export const commandHandler: ResourceHandler = {
  validate: (registration) => void commandInputs(registration),
  create: async (registration) => run(registration, commandInputs(registration).create, {}),
  update: async (previous, registration) => {
    const inputs = commandInputs(registration);
    return run(registration, inputs.update ?? inputs.create, {
      PULUMI_COMMAND_STDOUT: previousOutput(previous, "stdout"),
      PULUMI_COMMAND_STDERR: previousOutput(previous, "stderr"),
    });
  },
  delete: async () => undefined,
};
