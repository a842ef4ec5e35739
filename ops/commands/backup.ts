import type { OpsContext } from "../context";
import { ExitCode, failed, OpsError, refused } from "../errors";
import { renderTable } from "../format/table";
import { backupContainer, lastLine, listDumps, runBackupCli } from "../workflow/backups";
import { requireConsentPossible } from "../workflow/update";
import type { Command } from "./command";

const USAGE = "<now [label] | list | verify [name] | restore <name> [--into <database>]>";

function usageError(detail: string): OpsError {
  return refused(`dean-ops backup: ${detail}; usage: dean-ops backup ${USAGE}`);
}

function failure(what: string, stderr: string, exitCode: number, nextSteps: readonly string[]): OpsError {
  return failed(`${what} (exit ${exitCode})${stderr.trim() ? `: ${lastLine(stderr)}` : ""}`, nextSteps);
}

async function now(ctx: OpsContext, container: string, args: readonly string[]): Promise<ExitCode> {
  if (args.length > 1) throw usageError("now takes at most one label");
  const result = await runBackupCli(ctx, container, ["now", ...args]);
  if (result.exitCode !== 0) throw failure("the backup failed", result.stderr, result.exitCode, [`docker logs ${container} and the lines above say why`]);
  ctx.console.print(`Stored and verified: ${lastLine(result.stdout)}`);
  return ExitCode.ok;
}

async function list(ctx: OpsContext, container: string, args: readonly string[]): Promise<ExitCode> {
  if (args.length > 0) throw usageError("list takes no arguments");
  const dumps = await listDumps(ctx, container);
  if (dumps.length === 0) {
    ctx.console.print("No dumps yet.");
    return ExitCode.ok;
  }
  ctx.console.print(renderTable(["NAME", "BYTES", "FINISHED (UTC)", "VERIFIED"], dumps.map((dump) => [dump.name, String(dump.bytes), dump.time, dump.verified ? "yes" : "NO"])));
  return ExitCode.ok;
}

async function verify(ctx: OpsContext, container: string, args: readonly string[]): Promise<ExitCode> {
  if (args.length > 1) throw usageError("verify takes at most one dump name");
  const result = await runBackupCli(ctx, container, ["verify", ...args]);
  if (result.exitCode !== 0) {
    throw failure(`verification of ${args[0] ?? "the newest dump"} failed`, result.stderr, result.exitCode, [
      "a damaged dump loses its verified mark: restore another one (dean-ops backup list)",
      "dean-ops backup now takes a fresh, verified dump",
    ]);
  }
  ctx.console.print(lastLine(result.stdout));
  return ExitCode.ok;
}

async function restore(ctx: OpsContext, container: string, args: readonly string[]): Promise<ExitCode> {
  const [name, ...rest] = args;
  if (!name || name.startsWith("--")) throw usageError("restore needs a dump name (dean-ops backup list)");
  let into: string | undefined;
  if (rest.length > 0) {
    if (rest[0] !== "--into" || rest.length !== 2) throw usageError(`unexpected ${rest.join(" ")}`);
    into = rest[1];
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(into)) throw usageError(`--into must name a database (an SQL identifier), got "${into}"`);
  }
  requireConsentPossible(ctx);
  // Checked before asking: a typo must not reach the restore.
  const dump = (await listDumps(ctx, container)).find((entry) => entry.name === name);
  if (!dump) throw refused(`there is no dump named ${name} in ${container}; see dean-ops backup list`);
  if (!dump.verified) ctx.console.print(`Warning: ${name} is not verified (dean-ops backup verify ${name}).`);
  const target = into ?? "the application database";
  ctx.console.print(`Restore ${name} (${dump.time}) into ${target}: its tables are replaced by the dump's.`);
  if (!into) ctx.console.print("The orchestrator keeps running meanwhile: dean-ops maintenance on first keeps users out (dean-ops rollback --restore-db does both).");
  if (!ctx.options.yes && !(await ctx.console.confirm(`Restore ${name} into ${target}?`))) {
    throw new OpsError("cancelled: nothing was restored", ExitCode.cancelled);
  }
  const result = await runBackupCli(ctx, container, ["restore", name, ...(into ? ["--into", into] : [])]);
  if (result.exitCode !== 0) {
    throw failure("the restore failed and was rolled back (pg_restore runs in one transaction)", result.stderr, result.exitCode, [
      "a lock timeout means sessions were busy: dean-ops maintenance on, then restore again",
      `dean-ops backup verify ${name} checks the dump itself`,
    ]);
  }
  ctx.console.print(lastLine(result.stdout));
  return ExitCode.ok;
}

const ACTIONS: Readonly<Record<string, (ctx: OpsContext, container: string, args: readonly string[]) => Promise<ExitCode>>> = { now, list, verify, restore };

/** The runbook's backup checks and restores, run by dean-backup in the backup container. */
export const backup: Command = {
  name: "backup",
  usage: USAGE,
  summary: "take, list, verify or restore database dumps in the backup container",
  async run(ctx, args) {
    const [action, ...rest] = args;
    const handler = action !== undefined && Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
    if (!handler) throw usageError(action === undefined ? "missing action" : `unknown action "${action}"`);
    return handler(ctx, await backupContainer(ctx), rest);
  },
};
