import { stepsFromEventLog } from "../../../tools/stack-driver/event-log";

const urn = (name: string, type = "docker:index/container:Container") => `urn:pulumi:e2e::dean::dean:stack:DeanStack$${type}::${name}`;

/** One engine event line, as `pulumi up --event-log` writes it. */
function event(sequence: number, timestamp: number, kind: "resourcePreEvent" | "resOutputsEvent" | "resOpFailedEvent", op: string, name: string, old?: { retainOnDelete?: boolean }): string {
  return JSON.stringify({ sequence, timestamp, [kind]: { metadata: { op, urn: urn(name), type: "docker:index/container:Container", old: old ?? null } } });
}

describe("the engine's event log as deploy steps", () => {
  const log = [
    JSON.stringify({ sequence: 0, timestamp: 100, preludeEvent: { config: {} } }),
    event(1, 100, "resourcePreEvent", "same", "dean-network-backend"),
    event(2, 100, "resOutputsEvent", "same", "dean-network-backend"),
    event(3, 101, "resourcePreEvent", "create-replacement", "dean-e2e-orchestrator-1"),
    event(4, 101, "resourcePreEvent", "update", "dean-orchestrator-migration"),
    event(5, 102, "resOutputsEvent", "update", "dean-orchestrator-migration"),
    event(6, 109, "resOutputsEvent", "create-replacement", "dean-e2e-orchestrator-1"),
    event(7, 109, "resourcePreEvent", "replace", "dean-e2e-orchestrator-1"),
    event(8, 109, "resOutputsEvent", "replace", "dean-e2e-orchestrator-1"),
    event(9, 110, "resourcePreEvent", "create", "dean-backup-pre-upgrade"),
    event(10, 111, "resOpFailedEvent", "create", "dean-backup-pre-upgrade"),
    event(11, 112, "resourcePreEvent", "delete-replaced", "dean-e2e-orchestrator-1", { retainOnDelete: false }),
    event(12, 114, "resOutputsEvent", "delete-replaced", "dean-e2e-orchestrator-1", { retainOnDelete: false }),
    event(13, 114, "resourcePreEvent", "delete", "dean-postgres-data", { retainOnDelete: true }),
    event(14, 114, "resOutputsEvent", "delete", "dean-postgres-data", { retainOnDelete: true }),
    "",
  ].join("\n");

  it("lists the completed steps that do work, in the order they started, with their event span", () => {
    const steps = stepsFromEventLog(log, 3, false);
    expect(steps.map((step) => `${step.operation}${step.reason ? `(${step.reason})` : ""} ${step.name} ${step.startedAt}-${step.finishedAt} ${step.seconds}s`)).toEqual([
      "replace dean-e2e-orchestrator-1 3-6 8s",
      "update dean-orchestrator-migration 4-5 1s",
      "delete(replaced) dean-e2e-orchestrator-1 11-12 2s",
      "retain(removed) dean-postgres-data 13-14 0s",
    ]);
    expect(steps.every((step) => step.deployment === 3 && step.type === "docker:index/container:Container")).toBe(true);
  });

  it("calls a deletion by a destroy `destroyed`", () => {
    expect(stepsFromEventLog(log, 4, true).filter((step) => step.reason === "destroyed").map((step) => step.name)).toEqual(["dean-postgres-data"]);
  });
});
