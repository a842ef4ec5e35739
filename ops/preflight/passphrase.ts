import * as fs from "node:fs";
import type { Backend } from "./backend";
import type { Environment, Missing } from "./prerequisite";

/**
 * Whether the stack's secrets are encrypted with a passphrase: its file says so
 * (`secretsprovider: passphrase`, or the `encryptionsalt` only that provider writes), or it
 * names no provider and lives in a self-managed backend, where passphrase is the default.
 */
export function usesPassphrase(stackFile: Readonly<Record<string, unknown>>, backend: Backend | undefined): boolean {
  const provider = stackFile.secretsprovider;
  if (typeof provider === "string" && provider !== "") return provider.startsWith("passphrase");
  if (stackFile.encryptionsalt !== undefined) return true;
  return backend?.selfManaged === true;
}

function readable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Without the passphrase every command fails, and only after the CLI has started. An empty
 * PULUMI_CONFIG_PASSPHRASE is a valid passphrase, so "set" is what counts.
 */
export function missingPassphrase(environment: Environment, stackName: string, stackFile: Readonly<Record<string, unknown>>, backend: Backend | undefined): Missing | undefined {
  if (!usesPassphrase(stackFile, backend) || environment.env.PULUMI_CONFIG_PASSPHRASE !== undefined) return undefined;
  const file = environment.env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (file === undefined || file === "") {
    return {
      what: `the passphrase of stack ${stackName}: its secrets use the passphrase provider, and neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set`,
      fix: "export PULUMI_CONFIG_PASSPHRASE=<the stack's passphrase>, or PULUMI_CONFIG_PASSPHRASE_FILE=<a file holding it>",
    };
  }
  if (readable(file)) return undefined;
  return { what: `the passphrase file ${file} (PULUMI_CONFIG_PASSPHRASE_FILE), which cannot be read`, fix: "point PULUMI_CONFIG_PASSPHRASE_FILE at a readable file holding the passphrase" };
}
