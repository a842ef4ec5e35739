/** Exit codes: scripts (and CI) tell "refused before any change" apart from "failed". */
export const ExitCode = {
  ok: 0,
  /** An update or a live check failed: the stack may have changed. */
  failed: 1,
  /** Bad arguments, a missing prerequisite (CLI, backend, passphrase) or an invalid resulting config: nothing was changed. */
  refused: 2,
  /** The operator answered no: the config was put back, nothing was deployed. */
  cancelled: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the operator can act on: what went wrong, and what to do next. */
export class OpsError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly nextSteps: readonly string[] = [],
  ) {
    super(message);
    this.name = "OpsError";
  }
}

/** Bad input: refused before anything changed. */
export function refused(message: string, nextSteps: readonly string[] = []): OpsError {
  return new OpsError(message, ExitCode.refused, nextSteps);
}

/** Something failed after the stack may have changed. */
export function failed(message: string, nextSteps: readonly string[] = []): OpsError {
  return new OpsError(message, ExitCode.failed, nextSteps);
}

/** The message of anything thrown, for reports. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
