import type { OpsContext } from "../context";
import { type ExitCode, refused } from "../errors";

/** One dean-ops command. */
export interface Command {
  readonly name: string;
  /** Arguments after the name, e.g. `<replicas>`. */
  readonly usage: string;
  readonly summary: string;
  run(ctx: OpsContext, args: readonly string[]): Promise<ExitCode>;
}

/** Exactly `count` positional arguments, or a usage error naming the command's form. */
export function positional(command: Pick<Command, "name" | "usage">, args: readonly string[], count: number): string[] {
  const unknownFlag = args.find((arg) => arg.startsWith("--"));
  if (unknownFlag) throw refused(`dean-ops ${command.name}: unknown option ${unknownFlag}; usage: dean-ops ${command.name} ${command.usage}`);
  if (args.length !== count) {
    throw refused(`dean-ops ${command.name} takes ${count === 0 ? "no arguments" : `${count} argument${count === 1 ? "" : "s"}`} (got ${args.length}); usage: dean-ops ${command.name} ${command.usage}`.trim());
  }
  return [...args];
}

/** One of a fixed set of words, e.g. on|off. */
export function oneOf<T extends string>(command: Pick<Command, "name" | "usage">, value: string, allowed: readonly T[]): T {
  const match = allowed.find((candidate) => candidate === value);
  if (!match) throw refused(`dean-ops ${command.name}: expected ${allowed.join(" or ")} (got "${value}"); usage: dean-ops ${command.name} ${command.usage}`);
  return match;
}
