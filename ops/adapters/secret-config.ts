import { spawn } from "node:child_process";
import * as path from "node:path";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import { stderrSummary } from "./engine-error";

/**
 * Sets one secret config value with the value on the CLI's stdin: `pulumi config set <key>
 * --secret` reads it from there when stdin is not a terminal (the way `< file.pem` works).
 *
 * The Automation API cannot do this: setConfig, setAllConfig and setAllConfigJson all put
 * the value on the command line, where every user of the host can read it (ps, /proc) and
 * where execa's error messages quote it. The CLI is run as the Automation API runs it: same
 * binary, directory, environment and --non-interactive.
 */
export function setSecretConfig(workspace: LocalWorkspace, stackName: string, key: string, value: string): Promise<void> {
  const command = workspace.pulumiCommand.command;
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...(workspace.pulumiHome ? { PULUMI_HOME: workspace.pulumiHome } : {}),
    ...workspace.envVars,
    PULUMI_AUTOMATION_API: "true",
  };
  // An installation root's bin comes first on PATH, for the plugins bundled with it.
  if (path.isAbsolute(command)) env.PATH = `${path.dirname(command)}${path.delimiter}${env.PATH ?? ""}`;
  return new Promise((resolve, reject) => {
    const child = spawn(command, ["config", "set", key, "--secret", "--stack", stackName, "--non-interactive"], { cwd: workspace.workDir, env, stdio: ["pipe", "ignore", "pipe"] });
    const stderr: Buffer[] = [];
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    // A CLI that exits before reading breaks the pipe; its exit status says why.
    child.stdin.on("error", () => undefined);
    // The spawn error's message names the program only ("spawn pulumi ENOENT").
    child.on("error", (error) => reject(new Error(`the Pulumi CLI could not be started (${error.message})`)));
    child.on("close", (code, signal) => {
      if (code === 0) return resolve();
      const summary = stderrSummary(Buffer.concat(stderr).toString("utf8"));
      reject(new Error(summary || `pulumi config set ${key} failed (${signal ?? `exit code ${code}`}) without an error message`));
    });
    // The CLI drops one trailing newline of what it reads: this one, so the value stays exact.
    child.stdin.end(`${value}\n`);
  });
}
