import { parseArgs } from "./args";
import { COMMANDS } from "./commands";
import type { Clock, Console, GlobalOptions } from "./context";
import { ExitCode, messageOf, OpsError } from "./errors";
import type { DockerHost, ProgramSource, StackPort } from "./ports";

export interface Adapters {
  readonly stack: StackPort;
  readonly docker: DockerHost;
  readonly program: ProgramSource;
}

export interface Runtime {
  readonly console: Console;
  readonly clock: Clock;
  /**
   * Checks what the stack needs (engine, backend, passphrase) before anything is attempted;
   * throws `refused` naming what is missing and how to provide it.
   */
  readonly preflight: (options: GlobalOptions) => void;
  /** Builds the stack and Docker adapters for the chosen stack and project directory. */
  readonly connect: (options: GlobalOptions) => Adapters;
  /** The project directory when --cwd is not given. */
  readonly defaultCwd: string;
}

export function usage(): string {
  return [
    "usage: dean-ops <command> [arguments] [--stack <name>] [--cwd <project dir>] [--yes]",
    "",
    "Each change is a stack update: validated first, previewed, confirmed (unless --yes), applied, health-checked.",
    "",
    ...COMMANDS.flatMap((command) => [`  ${command.name} ${command.usage}`.trimEnd(), `      ${command.summary}`]),
    "",
    "  --stack <name>   the Pulumi stack (default dev)",
    "  --cwd <dir>      the Pulumi project directory (default: this package)",
    "  --yes            apply without asking",
    "",
    "Exit codes: 0 ok, 1 failed or unhealthy, 2 refused (nothing changed), 3 cancelled (nothing changed).",
  ].join("\n");
}

function report(console: Console, error: OpsError): void {
  console.error(`error: ${error.message}`);
  if (error.nextSteps.length > 0) {
    console.error("next:");
    for (const step of error.nextSteps) console.error(`  - ${step}`);
  }
}

/** Runs one dean-ops invocation and returns its exit code; never throws. */
export async function runDeanOps(argv: readonly string[], runtime: Runtime): Promise<ExitCode> {
  const { console } = runtime;
  try {
    const parsed = parseArgs(argv, runtime.defaultCwd);
    if (parsed.help || parsed.command === undefined) {
      console.print(usage());
      return parsed.help ? ExitCode.ok : ExitCode.refused;
    }
    const command = COMMANDS.find((candidate) => candidate.name === parsed.command);
    if (!command) {
      console.error(`error: unknown command "${parsed.command}"`);
      console.print(usage());
      return ExitCode.refused;
    }
    // In this order: arguments, then what the stack needs, and only then the stack itself.
    const invocation = command.parse(parsed.args);
    runtime.preflight(parsed.options);
    const adapters = runtime.connect(parsed.options);
    return await invocation({ ...adapters, console, clock: runtime.clock, options: parsed.options });
  } catch (error) {
    if (error instanceof OpsError) {
      report(console, error);
      return error.exitCode;
    }
    console.error(`error: ${messageOf(error)}`);
    return ExitCode.failed;
  }
}
