/** Something the stack needs that is not there, and how to provide it. */
export interface Missing {
  /** What is missing, e.g. "the Pulumi CLI: there is no pulumi on PATH". */
  readonly what: string;
  /** The command to run or the variable to set. */
  readonly fix: string;
}

/** What the checks read besides files: injected, so that tests choose them. */
export interface Environment {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user's home directory (Pulumi keeps its logins under ~/.pulumi). */
  readonly home: string;
}

/** A variable that is set to something (Pulumi treats an empty PULUMI_BACKEND_URL as unset). */
export function setting(environment: Environment, name: string): string | undefined {
  const value = environment.env[name];
  return value === undefined || value === "" ? undefined : value;
}
