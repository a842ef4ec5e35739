import { CommandError } from "@pulumi/pulumi/automation";

/** Lines of the CLI's stderr shown in an error: its last ones say what failed. */
const SHOWN_LINES = 10;

/** The last non-empty lines of what the CLI printed on stderr. */
export function stderrSummary(text: string): string {
  return text.split("\n").map((line) => line.trimEnd()).filter((line) => line.trim() !== "").slice(-SHOWN_LINES).join("\n");
}

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null ? Reflect.get(value, name) : undefined;
}

/**
 * What to print when a Pulumi CLI call fails: the CLI's own stderr and nothing else.
 *
 * A CommandError's message is CommandResult.toString(), whose stderr part starts with execa's
 * "Command failed with exit code N: <the whole command line>", and a command line can carry
 * config values: neither is ever printed. The process error execa raised (the result's `err`)
 * holds the CLI's stderr alone; without one, the result's stderr is the CLI's own.
 */
export function engineFailure(error: unknown): string {
  // JSON.parse quotes the text it choked on, and that text may be decrypted config.
  if (error instanceof SyntaxError) return "pulumi printed something other than the JSON expected (is the CLI much older or newer than this SDK?)";
  if (!(error instanceof CommandError)) return error instanceof Error ? error.message : String(error);
  // `commandResult` is private in the typings: it is read as the plain object it is.
  const result = field(error, "commandResult");
  const processError = field(result, "err");
  const stderr = processError === undefined ? field(result, "stderr") : field(processError, "stderr");
  const summary = typeof stderr === "string" ? stderrSummary(stderr) : "";
  if (summary !== "") return summary;
  // A spawn failure: its own message ("spawn pulumi ENOENT") names the program, not the arguments.
  const spawnError = field(processError, "originalMessage");
  if (typeof field(processError, "code") === "string" && typeof spawnError === "string") return `the Pulumi CLI could not be started (${spawnError})`;
  const exitCode = field(processError, "exitCode") ?? field(result, "code");
  return `pulumi failed${typeof exitCode === "number" ? ` with exit code ${exitCode}` : ""} without an error message (its output above may say more)`;
}
