import { preUpgradeLabel } from "../../components/backup";
import { diffConfig, touchedKeys } from "../config/diff";
import { managedConfig, trySettings } from "../config/validate";
import { pathWrite, restoreWrite, writeConfig } from "../config/write";
import type { OpsContext } from "../context";
import { ExitCode, failed, refused } from "../errors";
import { renderConfigChanges } from "../format/config-diff";
import { formatTime } from "../format/time";
import { selectRollbackTarget } from "../history/select";
import type { ConfigValues, StackUpdate } from "../ports";
import { backupContainer, choosePreUpgradeDump, type DumpEntry, lastLine, listDumps, runBackupCli } from "../workflow/backups";
import { readOutputs } from "../workflow/outputs";
import { type ChangePlan, planChange } from "../workflow/plan";
import { checkHealth, recoverySteps, requireConsentPossible, runUpdate, stageChange } from "../workflow/update";
import { argumentError } from "./arguments";
import type { Command } from "./command";

const USAGE = "[--to <version>] [--restore-db] [--rotation-as-recorded] [--program-as-is]";

interface RollbackOptions {
  readonly to?: number;
  readonly restoreDb: boolean;
  /** Re-apply the target's dean:rotation counters too (new secrets), instead of keeping today's. */
  readonly rotationAsRecorded: boolean;
  /** Re-apply the target's config on this checkout's program even when it differs from the recorded one. */
  readonly programAsIs: boolean;
}

function parseOptions(args: readonly string[]): RollbackOptions {
  let to: number | undefined;
  let restoreDb = false;
  let rotationAsRecorded = false;
  let programAsIs = false;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (arg === "--restore-db") {
      restoreDb = true;
    } else if (arg === "--rotation-as-recorded") {
      rotationAsRecorded = true;
    } else if (arg === "--program-as-is") {
      programAsIs = true;
    } else if (arg === "--to" || arg.startsWith("--to=")) {
      const value = arg === "--to" ? args[++index] : arg.slice("--to=".length);
      if (value === undefined || !/^[1-9][0-9]*$/.test(value)) throw argumentError(rollback, `--to needs a version number from dean-ops history (got ${value === undefined ? "nothing" : JSON.stringify(value)})`);
      to = Number(value);
    } else {
      throw argumentError(rollback, `unexpected ${JSON.stringify(arg)}`);
    }
  }
  return { to, restoreDb, rotationAsRecorded, programAsIs };
}

function describe(update: StackUpdate): string {
  const settings = trySettings(update.config);
  const deployed = settings ? `${settings.images.orchestrator}, ${settings.orchestrator.replicas} replica(s)` : "config not valid under the current schema";
  return `v${update.version} (${formatTime(update.startTime)}, ${update.result}: ${deployed})`;
}

/** What --restore-db needs, all found before anything changes. */
interface RestorePlan {
  readonly container: string;
  readonly dump: DumpEntry;
  /** The current config with maintenance on. */
  readonly maintenance: ChangePlan;
}

async function planRestore(ctx: OpsContext, current: StackUpdate, target: StackUpdate, currentValues: ConfigValues): Promise<RestorePlan> {
  const undoneImage = trySettings(current.config)?.images.orchestrator;
  const targetImage = trySettings(target.config)?.images.orchestrator;
  if (!undoneImage) throw refused(`--restore-db: cannot tell which image v${current.version} rolled out (its recorded config does not validate); nothing was changed`);
  if (undoneImage === targetImage) {
    // Its outputs then name the dump of an older upgrade: restoring it would lose the data since.
    throw refused(`--restore-db: v${current.version} did not change the orchestrator image (${undoneImage} in both), so no pre-upgrade backup belongs to it; nothing was changed`, [
      "roll back without --restore-db",
      "or restore a dump of your choice: dean-ops backup list, then dean-ops backup restore <name>",
    ]);
  }
  const container = await backupContainer(ctx);
  // Stack history does not carry outputs: the current outputs are those of the update being undone.
  const recorded = readOutputs(await ctx.stack.outputs()).lastPreUpgradeBackup;
  const label = preUpgradeLabel(undoneImage);
  const dump = choosePreUpgradeDump(await listDumps(ctx, container), recorded, label);
  if (!dump) {
    throw refused(`--restore-db: there is no verified pre-upgrade backup of ${undoneImage} (outputs record ${recorded ?? "none"}; dean-backup list has no verified pre-upgrade-*-${label}.dump); nothing was changed`, [
      "dean-ops backup list shows the dumps there are",
    ]);
  }
  const maintenance = planChange(currentValues, pathWrite({ "dean:nginx.maintenance": "true" }), "turning maintenance on");
  return { container, dump, maintenance };
}

/** Maintenance on, restore, and the config that goes with the restored data. */
async function restoreThenApply(ctx: OpsContext, restore: RestorePlan, plan: ChangePlan, version: number): Promise<void> {
  const stack = ctx.stack.stackName;
  // The staged config was the target's; the maintenance update runs the current config plus maintenance.
  await writeConfig(ctx.stack, restoreWrite(restore.maintenance.after, touchedKeys([...plan.changes, ...restore.maintenance.changes])));
  ctx.console.print("Step 1 of 3: maintenance on.");
  if (restore.maintenance.changes.length > 0) {
    await runUpdate(ctx, `dean-ops rollback to v${version}: maintenance on before the restore`, recoverySteps(ctx, [
      "the database was not restored; the config is the current one plus maintenance on",
      `dean-ops maintenance off --stack ${stack} reopens the current version`,
    ]));
  } else {
    ctx.console.print("Maintenance mode is already on.");
  }
  ctx.console.print(`Step 2 of 3: restoring ${restore.dump.name}.`);
  const result = await runBackupCli(ctx, restore.container, ["restore", restore.dump.name]);
  if (result.exitCode !== 0) {
    throw failed(`the restore of ${restore.dump.name} failed and was rolled back (exit ${result.exitCode}): ${lastLine(result.stderr)}`, [
      "maintenance mode is still ON and the current version still runs; nothing else changed",
      `dean-ops backup verify ${restore.dump.name} --stack ${stack} checks the dump itself; then run this rollback again`,
      `dean-ops maintenance off --stack ${stack} reopens the current version instead`,
    ]);
  }
  ctx.console.print(lastLine(result.stdout));
  ctx.console.print(`Step 3 of 3: the config of v${version}.`);
  await writeConfig(ctx.stack, restoreWrite(plan.after, touchedKeys(diffConfig(restore.maintenance.after, plan.after))));
}

/**
 * The target's config with today's `dean:rotation` counters, unless the operator asks for the
 * recorded ones. A counter is a RandomPassword keeper: an older value does not bring the old
 * secret back, it generates a new one (another forced logout, another ALTER ROLE).
 */
function keepCredentials(target: ConfigValues, current: ConfigValues, version: number, asRecorded: boolean): { values: ConfigValues; line: string } {
  const recorded = JSON.stringify(target[ROTATION]?.value ?? {});
  const now = JSON.stringify(current[ROTATION]?.value ?? {});
  if (recorded === now) return { values: target, line: "unchanged (dean:rotation is the same in both)." };
  if (asRecorded) {
    return { values: target, line: `dean:rotation as v${version} recorded it (${recorded}, now ${now}): each counter that differs generates a NEW secret, as a rotation does; the old secrets do not come back.` };
  }
  const others = Object.fromEntries(Object.entries(target).filter(([key]) => key !== ROTATION));
  const values: ConfigValues = current[ROTATION] ? { ...others, [ROTATION]: current[ROTATION] } : others;
  return {
    values,
    line: `kept: dean:rotation stays ${now} (v${version} recorded ${recorded}; re-applying that would generate new secrets, not the old ones: --rotation-as-recorded does it).`,
  };
}

const ROTATION = "dean:rotation";

/** What the rollback deploys the config with; refused when the recorded program differs, unless asked. */
async function programLine(ctx: OpsContext, target: StackUpdate, asIs: boolean): Promise<string> {
  const recorded = target.programCommit;
  if (recorded === undefined) return `v${target.version} recorded no git commit: its config is deployed with the program in ${ctx.options.cwd}.`;
  const short = (commit: string) => commit.slice(0, 12);
  const comparison = await ctx.program.compareWith(recorded);
  if (comparison.kind === "same") return `the same as v${target.version} deployed (commit ${short(recorded)}).`;
  const difference = comparison.kind === "differs"
    ? `the program here (${short(comparison.head)}) differs from the one v${target.version} was deployed with (${short(recorded)}) in ${comparison.files.slice(0, 6).join(", ")}${comparison.files.length > 6 ? `, and ${comparison.files.length - 6} more` : ""}`
    : `cannot tell whether the program here is the one v${target.version} was deployed with (${short(recorded)}): ${comparison.reason}`;
  if (asIs) return `${difference}; deploying v${target.version}'s config with the program here, as asked (--program-as-is).`;
  const stack = ctx.stack.stackName;
  const worktree = `../dean-v${target.version}`;
  throw refused(`${difference}: its config on this program could deploy something that never ran; nothing was changed`, [
    `deploy it with its own program: git worktree add ${worktree} ${recorded} && cp Pulumi.${stack}.yaml ${worktree}/ && (cd ${worktree} && npm ci)`,
    `then: dean-ops rollback --to ${target.version} --stack ${stack} --cwd ${worktree}`,
    `or re-apply the config on this program: dean-ops rollback --to ${target.version} --program-as-is`,
  ]);
}

/** Re-applies the target's config (after the restore, with --restore-db) and checks health. */
async function rollBack(ctx: OpsContext, options: RollbackOptions): Promise<ExitCode> {
  requireConsentPossible(ctx);
  const stack = ctx.stack.stackName;
  const history = await ctx.stack.history();
  const { current, target } = selectRollbackTarget(history, stack, options.to);
  if (target.unreadableSecrets.length > 0) {
    throw refused(`v${target.version} records secret values that cannot be decrypted (${target.unreadableSecrets.join(", ")}): its config cannot be re-applied; nothing was changed`);
  }
  const program = await programLine(ctx, target, options.programAsIs);
  const currentValues = await ctx.stack.getConfig();
  const credentials = keepCredentials(managedConfig(target.config), currentValues, target.version, options.rotationAsRecorded);
  const targetValues = credentials.values;
  const write = restoreWrite(targetValues, touchedKeys(diffConfig(currentValues, targetValues)));
  const plan = planChange(currentValues, write, `rolling back to v${target.version}`);
  const restore = options.restoreDb ? await planRestore(ctx, current, target, currentValues) : undefined;

  ctx.console.print(`Stack ${stack}: roll back`);
  ctx.console.print(`  undo   ${describe(current)}`);
  ctx.console.print(`  to     ${describe(target)}`);
  const skipped = history.filter((entry) => entry.kind === "update" && entry.version > target.version && entry.version < current.version);
  if (skipped.length > 0) ctx.console.print(`  also undone: ${skipped.map((entry) => `v${entry.version} (${entry.result})`).join(", ")}`);
  ctx.console.print(`Program: ${program}`);
  ctx.console.print(`Credentials: ${credentials.line}`);
  ctx.console.print(`Config changes (current -> v${target.version}):`);
  ctx.console.print(renderConfigChanges(plan.changes));
  if (plan.changes.length === 0) ctx.console.print("  The config already matches; the update makes the deployed stack match it too.");
  if (restore) {
    const maintenanceAfter = plan.settings.nginx.maintenance ? " (maintenance stays on: it was on in that config)" : " (maintenance off)";
    ctx.console.print("In this order:");
    ctx.console.print("  1. maintenance on: an update; nginx serves the maintenance page, /health still answers");
    ctx.console.print(`  2. restore ${restore.dump.name} (${restore.dump.time}) into the application database`);
    ctx.console.print(`  3. apply the config of v${target.version}${maintenanceAfter} and update`);
  }
  await stageChange(ctx, plan, `Roll stack ${stack} back to the config of v${target.version}${restore ? ` and restore ${restore.dump.name}` : ""}?`);
  if (restore) await restoreThenApply(ctx, restore, plan, target.version);
  const steps = recoverySteps(ctx, [
    ...(restore ? ["the database was restored; the config is now that of the rollback target"] : []),
    "if the migration failed with \"Can't locate revision\", the database is ahead of this image: roll back with --restore-db",
  ]);
  await runUpdate(ctx, `dean-ops rollback to v${target.version}${restore ? ` with ${restore.dump.name} restored` : ""}`, steps);
  await checkHealth(ctx, steps);
  ctx.console.print(`Rolled back to the config of v${target.version}.`);
  return ExitCode.ok;
}

/** The runbook's quick and full rollbacks: a recorded config re-applied, optionally with the data. */
export const rollback: Command = {
  name: "rollback",
  usage: USAGE,
  summary: "re-apply the config of an earlier update (default: the last successful one), keeping today's credentials, and update; --restore-db also restores the pre-upgrade backup",
  parse(args) {
    const options = parseOptions(args);
    return (ctx) => rollBack(ctx, options);
  },
};
