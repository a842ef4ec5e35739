import { ExitCode, failed, OpsError, refused } from "../errors";
import { renderTable } from "../format/table";
import { backupContainer, lastLine, listDumps, runBackupCli } from "../workflow/backups";
import { requireConsentPossible } from "../workflow/update";
import { argumentError } from "./arguments";
import type { Command, Invocation } from "./command";

const USAGE = "<now [label] | list | verify [name] | restore <name> [--into <database>]>";

/** A name as `dean-backup list` prints it (kind-database-time[-label].dump): never a path or an option. */
const DUMP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.dump$/;
/** A label dean-backup keeps as typed (it would replace other characters and cut it at 64). */
const LABEL = /^[A-Za-z0-9._-]{1,64}$/;
/** A database --into may name: an SQL identifier, as dean-backup requires. */
const DATABASE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function usageError(detail: string): OpsError {
  return argumentError(backup, detail);
}

function shown(value: string | undefined): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

function dumpName(action: string, name: string | undefined): string {
  if (name === undefined || !DUMP_NAME.test(name)) {
    throw usageError(`${action} needs a dump name as dean-ops backup list shows it (letters, digits, . _ -, ending in .dump), got ${shown(name)}`);
  }
  return name;
}

function failure(what: string, stderr: string, exitCode: number, nextSteps: readonly string[]): OpsError {
  return failed(`${what} (exit ${exitCode})${stderr.trim() ? `: ${lastLine(stderr)}` : ""}`, nextSteps);
}

function now(args: readonly string[]): Invocation {
  if (args.length > 1) throw usageError("now takes at most one label");
  const [label] = args;
  if (label !== undefined && !LABEL.test(label)) throw usageError(`the label becomes part of the file name: 1 to 64 letters, digits, . _ or -, got ${shown(label)}`);
  return async (ctx) => {
    const container = await backupContainer(ctx);
    const result = await runBackupCli(ctx, container, ["now", ...args]);
    if (result.exitCode !== 0) throw failure("the backup failed", result.stderr, result.exitCode, [`docker logs ${container} and the lines above say why`]);
    ctx.console.print(`Stored and verified: ${lastLine(result.stdout)}`);
    return ExitCode.ok;
  };
}

function list(args: readonly string[]): Invocation {
  if (args.length > 0) throw usageError("list takes no arguments");
  return async (ctx) => {
    const dumps = await listDumps(ctx, await backupContainer(ctx));
    if (dumps.length === 0) {
      ctx.console.print("No dumps yet.");
      return ExitCode.ok;
    }
    ctx.console.print(renderTable(["NAME", "BYTES", "FINISHED (UTC)", "VERIFIED"], dumps.map((dump) => [dump.name, String(dump.bytes), dump.time, dump.verified ? "yes" : "NO"])));
    return ExitCode.ok;
  };
}

function verify(args: readonly string[]): Invocation {
  if (args.length > 1) throw usageError("verify takes at most one dump name");
  const name = args.length > 0 ? dumpName("verify", args[0]) : undefined;
  return async (ctx) => {
    const result = await runBackupCli(ctx, await backupContainer(ctx), ["verify", ...args]);
    if (result.exitCode !== 0) {
      throw failure(`verification of ${name ?? "the newest dump"} failed`, result.stderr, result.exitCode, [
        "a damaged dump loses its verified mark: restore another one (dean-ops backup list)",
        "dean-ops backup now takes a fresh, verified dump",
      ]);
    }
    ctx.console.print(lastLine(result.stdout));
    return ExitCode.ok;
  };
}

function restore(args: readonly string[]): Invocation {
  const [given, ...rest] = args;
  const name = dumpName("restore", given);
  let into: string | undefined;
  if (rest.length > 0) {
    if (rest[0] !== "--into" || rest.length !== 2) throw usageError(`unexpected ${rest.join(" ")}`);
    into = rest[1];
    if (!DATABASE.test(into)) throw usageError(`--into must name a database (an SQL identifier), got ${shown(into)}`);
  }
  return async (ctx) => {
    requireConsentPossible(ctx);
    const container = await backupContainer(ctx);
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
  };
}

/** Each action checks its own arguments and returns what to run. */
const ACTIONS: Readonly<Record<string, (args: readonly string[]) => Invocation>> = { now, list, verify, restore };

/** The runbook's backup checks and restores, run by dean-backup in the backup container. */
export const backup: Command = {
  name: "backup",
  usage: USAGE,
  summary: "take, list, verify or restore database dumps in the backup container",
  parse(args) {
    const [action, ...rest] = args;
    const parse = action !== undefined && Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
    if (!parse) throw usageError(action === undefined ? "missing action" : `unknown action ${JSON.stringify(action)}`);
    return parse(rest);
  },
};
