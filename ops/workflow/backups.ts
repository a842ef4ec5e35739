import type { OpsContext } from "../context";
import { failed, refused } from "../errors";
import type { ExecResult } from "../ports";
import { readOutputs } from "./outputs";

/** The backup job's CLI inside its container (components/render/backup-script.ts). */
export const BACKUP_CLI = "dean-backup";

/** One line of `dean-backup list`. */
export interface DumpEntry {
  readonly name: string;
  readonly bytes: number;
  readonly time: string;
  readonly verified: boolean;
}

/** Parses `dean-backup list`: name, bytes, UTC time, verified yes/no, tab-separated, newest first. */
export function parseDumpList(text: string): DumpEntry[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [name, bytes, time, verified] = line.split("\t");
      return { name, bytes: Number(bytes), time: time ?? "", verified: verified === "yes" };
    });
}

/** The backup container named in the stack outputs; refused when backups are off or the stack is not deployed. */
export async function backupContainer(ctx: OpsContext): Promise<string> {
  const containers = readOutputs(await ctx.stack.outputs()).containers;
  if (!containers) throw refused(`stack ${ctx.stack.stackName} has no \`containers\` output: has it been deployed?`);
  if (!containers.backup) throw refused(`backups are disabled in stack ${ctx.stack.stackName} (dean:backup.enabled is false): there is no backup container`);
  return containers.backup;
}

/** Runs `dean-backup <args>` in the backup container, streaming its log lines. */
export function runBackupCli(ctx: OpsContext, container: string, args: readonly string[], stream = true): Promise<ExecResult> {
  return ctx.docker.exec(container, [BACKUP_CLI, ...args], stream ? ctx.console.stream : undefined);
}

export async function listDumps(ctx: OpsContext, container: string): Promise<DumpEntry[]> {
  const result = await runBackupCli(ctx, container, ["list"], false);
  if (result.exitCode !== 0) throw failed(`dean-backup list failed in ${container}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  return parseDumpList(result.stdout);
}

/** The last non-empty line a dean-backup command printed: the file it stored or checked. */
export function lastLine(text: string): string {
  const lines = text.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  return lines[lines.length - 1] ?? "";
}

/**
 * The dump to restore when undoing the rollout of an image: the one the stack outputs record
 * if it belongs to that image, else the newest verified pre-upgrade dump labelled for it
 * (a failed update may not have recorded its outputs). Only verified dumps qualify.
 */
export function choosePreUpgradeDump(dumps: readonly DumpEntry[], recorded: string | undefined, label: string): DumpEntry | undefined {
  const candidates = dumps.filter((dump) => dump.verified && dump.name.startsWith("pre-upgrade-") && dump.name.endsWith(`-${label}.dump`));
  return candidates.find((dump) => dump.name === recorded) ?? candidates[0];
}
