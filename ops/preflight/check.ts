import type { GlobalOptions } from "../context";
import { refused } from "../errors";
import { checkBackend } from "./backend";
import { missingEngine } from "./engine";
import { missingPassphrase } from "./passphrase";
import type { Environment, Missing } from "./prerequisite";
import { isMissing, readProjectFiles } from "./project";

/**
 * Checks, before anything is attempted, what every stack operation needs: the project, the
 * Pulumi CLI, a backend and (for a passphrase-encrypted stack) the passphrase. Only files and
 * variables are read: no process is started and no network is used. Everything missing is
 * reported at once, refused (exit 2): nothing was changed.
 */
export function checkPrerequisites(options: GlobalOptions, environment: Environment): void {
  const files = readProjectFiles(options.cwd, options.stack);
  const missing: (Missing | undefined)[] = [missingEngine(environment)];
  if (isMissing(files)) {
    missing.push(files);
  } else {
    const { backend, missing: noBackend } = checkBackend(environment, files.project);
    missing.push(noBackend, missingPassphrase(environment, options.stack, files.stack, backend));
  }
  const found = missing.filter((entry): entry is Missing => entry !== undefined);
  if (found.length === 0) return;
  throw refused(
    `stack ${options.stack} cannot be worked on here; nothing was attempted, nothing was changed. Missing:\n${found.map((entry) => `  - ${entry.what}`).join("\n")}`,
    found.map((entry) => entry.fix),
  );
}
