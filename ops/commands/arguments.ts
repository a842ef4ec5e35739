import type { z } from "zod";
import { type OpsError, refused } from "../errors";
import type { Command } from "./command";

/** What a refusal needs to know of the command: its name and the form of its arguments. */
type CommandForm = Pick<Command, "name" | "usage">;

/** A refused argument: what is wrong with it, and the command's form as the next step. */
export function argumentError(command: CommandForm, detail: string): OpsError {
  return refused(`dean-ops ${command.name}: ${detail}; nothing was changed`, [`usage: dean-ops ${command.name} ${command.usage}`.trimEnd()]);
}

/** Exactly `count` positional arguments, or a usage error naming the command's form. */
export function positional(command: CommandForm, args: readonly string[], count: number): string[] {
  const unknownFlag = args.find((arg) => arg.startsWith("--"));
  if (unknownFlag) throw argumentError(command, `unknown option ${unknownFlag}`);
  if (args.length !== count) {
    throw argumentError(command, `takes ${count === 0 ? "no arguments" : `${count} argument${count === 1 ? "" : "s"}`} (got ${args.length})`);
  }
  return [...args];
}

/** One of a fixed set of words, e.g. on|off. */
export function oneOf<T extends string>(command: CommandForm, value: string, allowed: readonly T[]): T {
  const match = allowed.find((candidate) => candidate === value);
  if (!match) throw argumentError(command, `expected ${allowed.join(" or ")} (got ${JSON.stringify(value)})`);
  return match;
}

/** A command argument that becomes a config value, judged by that value's own schema. */
export interface ConfigArgument {
  /** As the usage names it, e.g. `<replicas>`. */
  readonly name: string;
  /** The setting it becomes, as the refusal words it: `dean:orchestrator.replicas`. */
  readonly setting: string;
  readonly schema: z.ZodType;
}

/**
 * Refuses an argument that the config schema would refuse as the value it becomes, before
 * anything is read or written. The message names the argument, the value as typed (quoted as
 * JSON, so control characters show) and what is allowed, in the schema's own words.
 * `value` is what will be written when that differs from the text, e.g. a tag resolved to an image.
 */
export function checkConfigArgument(command: CommandForm, argument: ConfigArgument, given: string, value: unknown = given): void {
  const result = argument.schema.safeParse(value);
  if (result.success) return;
  const allowed = [...new Set(result.error.issues.map((issue) => issue.message))].join("; ");
  throw argumentError(command, `${argument.name} ${JSON.stringify(given)} is refused: ${argument.setting} ${allowed}`);
}
