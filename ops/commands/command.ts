import type { OpsContext } from "../context";
import type { ExitCode } from "../errors";

/** What a command does once its arguments have been checked. */
export type Invocation = (ctx: OpsContext) => Promise<ExitCode>;

/** One dean-ops command. */
export interface Command {
  readonly name: string;
  /** Arguments after the name, e.g. `<replicas>`. */
  readonly usage: string;
  readonly summary: string;
  /**
   * Checks every argument and returns what to run. It gets no context on purpose: a bad
   * argument is refused before the engine is looked for or the stack is touched.
   */
  parse(args: readonly string[]): Invocation;
}
