import * as fs from "node:fs";
import * as path from "node:path";
import { type Environment, type Missing, setting } from "./prerequisite";

/** The command the Automation API runs when it is given no installation root. */
export const PULUMI = "pulumi";

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Where PATH finds `name`, as a shell would; undefined when it does not. */
export function findOnPath(name: string, searchPath: string): string | undefined {
  return searchPath.split(path.delimiter).filter((dir) => dir !== "").map((dir) => path.join(dir, name)).find(isExecutableFile);
}

/**
 * The Automation API runs `pulumi` from PATH, and the first thing that fails without it is a
 * bare "spawn pulumi ENOENT". The installer puts it in ~/.pulumi/bin and edits shell profiles
 * only: when it is there, the fix is one export.
 */
export function missingEngine(environment: Environment): Missing | undefined {
  if (findOnPath(PULUMI, environment.env.PATH ?? "")) return undefined;
  const installed = path.join(setting(environment, "PULUMI_HOME") ?? path.join(environment.home, ".pulumi"), "bin");
  return {
    what: `the Pulumi CLI: there is no ${PULUMI} on PATH`,
    fix: isExecutableFile(path.join(installed, PULUMI))
      ? `it is installed in ${installed}: export PATH="${installed}:$PATH"`
      : "install the Pulumi CLI (https://www.pulumi.com/docs/install/) and put pulumi on PATH",
  };
}
