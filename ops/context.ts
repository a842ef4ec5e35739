import type { DockerHost, OutputSink, ProgramSource, StackPort } from "./ports";

/** The terminal: lines for the operator, the engine's streamed output, and yes/no questions. */
export interface Console {
  print(line: string): void;
  /** Errors and what to do next (stderr). */
  error(line: string): void;
  /** Raw text (engine and container output), written as it arrives. */
  stream: OutputSink;
  /** Whether questions can be asked (stdin is a terminal). */
  readonly interactive: boolean;
  /** Asks a yes/no question; false unless the operator says yes. */
  confirm(question: string): Promise<boolean>;
}

/** Time, injectable so that waits in tests take no time. */
export interface Clock {
  now(): Date;
  sleep(milliseconds: number): Promise<void>;
}

export interface GlobalOptions {
  readonly stack: string;
  /** The Pulumi project directory. */
  readonly cwd: string;
  /** Apply without asking. */
  readonly yes: boolean;
}

/** Everything a command may use. */
export interface OpsContext {
  readonly stack: StackPort;
  readonly docker: DockerHost;
  /** Where the program comes from, to compare with the commit an update recorded. */
  readonly program: ProgramSource;
  readonly console: Console;
  readonly clock: Clock;
  readonly options: GlobalOptions;
}
