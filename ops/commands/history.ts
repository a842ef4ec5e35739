import { diffConfig } from "../config/diff";
import { trySettings } from "../config/validate";
import { ExitCode } from "../errors";
import { describeChange } from "../format/config-diff";
import { renderTable } from "../format/table";
import { formatTime } from "../format/time";
import type { StackUpdate } from "../ports";
import { positional } from "./arguments";
import type { Command } from "./command";

function changesSince(previous: StackUpdate | undefined, entry: StackUpdate): string {
  if (!previous) return "(first recorded operation)";
  const changes = diffConfig(previous.config, entry.config);
  return changes.length > 0 ? changes.map(describeChange).join("; ") : "-";
}

/** One row per operation: what it deployed and what changed in config since the one before. */
export function historyRows(history: readonly StackUpdate[]): string[][] {
  const newestFirst = [...history].sort((a, b) => b.version - a.version);
  return newestFirst.map((entry, index) => {
    const settings = trySettings(entry.config);
    return [
      `v${entry.version}`,
      formatTime(entry.startTime),
      entry.kind === "update" ? entry.result : `${entry.kind} ${entry.result}`,
      settings?.images.orchestrator ?? "?",
      settings ? String(settings.orchestrator.replicas) : "?",
      changesSince(newestFirst[index + 1], entry),
    ];
  });
}

/** `pulumi stack history`, readable: the table rollback --to picks from. */
export const history: Command = {
  name: "history",
  usage: "",
  summary: "stack history as a table: version, time, result, image, replicas, config changes",
  parse(args) {
    positional(history, args, 0);
    return async (ctx) => {
      const entries = await ctx.stack.history();
      if (entries.length === 0) {
        ctx.console.print(`Stack ${ctx.stack.stackName} has no history yet: it has never been updated.`);
        return ExitCode.ok;
      }
      ctx.console.print(renderTable(["VERSION", "STARTED (UTC)", "RESULT", "IMAGE", "REPLICAS", "CONFIG CHANGES"], historyRows(entries)));
      return ExitCode.ok;
    };
  },
};
