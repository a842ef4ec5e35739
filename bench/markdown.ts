import type { Summary } from "./stats";

/** Small Markdown helpers for the benchmark report. */

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((cell) => cell.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** min / median / max cells of a summary, each with `digits` decimals. */
export function summaryCells(summary: Summary, digits: number): string[] {
  return [summary.min, summary.median, summary.max].map((value) => value.toFixed(digits));
}

/** Status code -> count, summed over several loads. */
export function mergeStatuses(all: readonly Record<number, number>[]): Record<number, number> {
  const merged: Record<number, number> = {};
  for (const statuses of all) for (const [status, count] of Object.entries(statuses)) merged[Number(status)] = (merged[Number(status)] ?? 0) + count;
  return merged;
}

export function statusList(statuses: Record<number, number>): string {
  const entries = Object.entries(statuses).sort(([a], [b]) => Number(a) - Number(b));
  return entries.length === 0 ? "none" : entries.map(([status, count]) => `${status}: ${count}`).join(", ");
}
