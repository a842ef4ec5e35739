import type { DeployStep } from "./deploy-log";

/**
 * The completed steps of one `pulumi up`/`destroy`, read from the engine's event log
 * (`--event-log`: one JSON engine event per line). A step starts with its resourcePreEvent and
 * completes with its resOutputsEvent; a failed step (resOpFailedEvent) changed nothing and is
 * not listed (the update's error says what failed). Event sequence numbers order the steps.
 */

interface StepState {
  readonly retainOnDelete?: boolean;
}

interface StepMetadata {
  readonly op: string;
  readonly urn: string;
  readonly type: string;
  readonly old?: StepState | null;
}

interface EngineEvent {
  readonly sequence: number;
  readonly timestamp: number;
  readonly resourcePreEvent?: { readonly metadata: StepMetadata };
  readonly resOutputsEvent?: { readonly metadata: StepMetadata };
}

/** The engine's step kinds that do work, as the deploy log names them; the rest are skipped. */
function operationOf(metadata: StepMetadata, destroying: boolean): Pick<DeployStep, "operation" | "reason"> | undefined {
  const deleted = (reason: DeployStep["reason"]): Pick<DeployStep, "operation" | "reason"> =>
    ({ operation: metadata.old?.retainOnDelete ? "retain" : "delete", reason });
  const operations: Record<string, () => Pick<DeployStep, "operation" | "reason">> = {
    "create": () => ({ operation: "create" }),
    "create-replacement": () => ({ operation: "replace" }),
    "update": () => ({ operation: "update" }),
    "import": () => ({ operation: "import" }),
    "import-replacement": () => ({ operation: "import" }),
    "delete-replaced": () => deleted("replaced"),
    "delete": () => deleted(destroying ? "destroyed" : "removed"),
  };
  return operations[metadata.op]?.();
}

const urnName = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);

/** Parses an event log into the deploy log's steps, in the order they started. */
export function stepsFromEventLog(text: string, deployment: number, destroying: boolean): DeployStep[] {
  const events = text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as EngineEvent);
  const started = new Map<string, EngineEvent & { readonly resourcePreEvent: { readonly metadata: StepMetadata } }>();
  const steps: DeployStep[] = [];
  for (const event of events) {
    if (event.resourcePreEvent) {
      started.set(`${event.resourcePreEvent.metadata.op} ${event.resourcePreEvent.metadata.urn}`, { ...event, resourcePreEvent: event.resourcePreEvent });
      continue;
    }
    const end = event.resOutputsEvent?.metadata;
    if (!end) continue;
    const start = started.get(`${end.op} ${end.urn}`);
    const operation = operationOf(end, destroying);
    if (!start || !operation) continue;
    steps.push({
      deployment,
      ...operation,
      urn: end.urn,
      type: end.type,
      name: urnName(end.urn),
      startedAt: start.sequence,
      finishedAt: event.sequence,
      seconds: event.timestamp - start.timestamp,
    });
  }
  return steps.sort((a, b) => a.startedAt - b.startedAt);
}
