import { refused } from "./errors";
import type { GlobalOptions } from "./context";

export interface ParsedArgs {
  readonly options: GlobalOptions;
  readonly help: boolean;
  /** The command name, if any. */
  readonly command?: string;
  /** Everything after the command name except the global flags. */
  readonly args: readonly string[];
}

export const DEFAULT_STACK = "dev";

/**
 * Splits argv into the global flags (anywhere on the line: `--stack`, `--cwd`, `--yes`,
 * `--help`) and the command with its own arguments.
 */
export function parseArgs(argv: readonly string[], defaultCwd: string): ParsedArgs {
  let stack = DEFAULT_STACK;
  let cwd = defaultCwd;
  let yes = false;
  let help = false;
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string => {
      const given = inline ?? argv[++index];
      if (given === undefined || given === "" || (inline === undefined && given.startsWith("--"))) throw refused(`${flag} needs a value`);
      return given;
    };
    if (flag === "--stack" || flag === "-s") stack = value();
    else if (flag === "--cwd") cwd = value();
    else if (arg === "--yes" || arg === "-y") yes = true;
    else if (arg === "--help" || arg === "-h") help = true;
    else rest.push(arg);
  }
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+){0,2}$/.test(stack)) throw refused(`--stack must be a stack name such as dev or org/project/prod (got "${stack}")`);
  const [command, ...args] = rest;
  return { options: { stack, cwd, yes }, help, command, args };
}
