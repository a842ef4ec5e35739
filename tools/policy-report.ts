import type { PolicyDiagnostic, PolicyRun } from "./policy-engine";

/** How a run reads to people (a table) and to machines (JSON); mandatory violations fail it. */

export interface RunSummary {
  readonly mandatory: number;
  readonly advisory: number;
  readonly passed: boolean;
}

export function summarize(run: PolicyRun): RunSummary {
  const mandatory = run.diagnostics.filter((d) => d.level === "mandatory").length;
  const advisory = run.diagnostics.filter((d) => d.level === "advisory").length;
  return { mandatory, advisory, passed: mandatory === 0 };
}

/** The resource name of a URN (its last `::` segment); stack-wide findings have none. */
export function resourceName(urn: string): string {
  return urn ? urn.slice(urn.lastIndexOf("::") + 2) : "(stack)";
}

function ordered(run: PolicyRun): PolicyDiagnostic[] {
  const policyOrder = new Map(run.policies.map((policy, index) => [policy.name, index]));
  const levelOrder = (d: PolicyDiagnostic) => (d.level === "mandatory" ? 0 : 1);
  return [...run.diagnostics].sort((a, b) =>
    levelOrder(a) - levelOrder(b)
    || (policyOrder.get(a.policy) ?? 0) - (policyOrder.get(b.policy) ?? 0)
    || resourceName(a.urn).localeCompare(resourceName(b.urn)));
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export function formatTable(run: PolicyRun, stack: string): string {
  const rows = ordered(run).map((d) => [d.level, d.policy, resourceName(d.urn), d.message]);
  const lines: string[] = [];
  if (rows.length > 0) {
    const header = ["LEVEL", "RULE", "RESOURCE", "MESSAGE"];
    const widths = [0, 1, 2].map((column) => Math.max(header[column].length, ...rows.map((row) => row[column].length)));
    const line = (row: string[]) => row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]) : cell)).join("  ").trimEnd();
    lines.push(line(header), ...rows.map(line), "");
  }
  const summary = summarize(run);
  lines.push(
    `Stack ${stack}: ${plural(run.analyzed, "resource")} checked against ${plural(run.policies.length, "policy").replace(/policys$/, "policies")} of ${run.packName} ${run.packVersion}: ` +
    `${plural(summary.mandatory, "mandatory violation")}, ${plural(summary.advisory, "advisory finding")}.`,
    summary.passed ? "PASS" : "FAIL: mandatory policies are violated; fix the program or its config before deploying.",
  );
  return lines.join("\n") + "\n";
}

export function formatJson(run: PolicyRun, stack: string): string {
  const summary = summarize(run);
  return JSON.stringify({
    stack,
    policyPack: { name: run.packName, version: run.packVersion, policies: run.policies.map((policy) => policy.name) },
    resources: run.analyzed,
    violations: ordered(run).map((d) => ({ policy: d.policy, level: d.level, severity: d.severity, urn: d.urn, resource: resourceName(d.urn), message: d.message })),
    summary,
  }, null, 2) + "\n";
}
