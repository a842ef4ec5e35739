/**
 * The ordered steps of every deploy of the suite, with timestamps, so tests can assert what
 * Pulumi guarantees about order (e.g. the pre-upgrade backup before the migration before the
 * new replicas; new replicas before the old ones are deleted).
 */

export type StepOperation =
  /** A new resource. */
  | "create"
  /** The create of a resource's replacement. */
  | "replace"
  /** An in-place update. */
  | "update"
  /** A real deletion (of a replaced, removed or destroyed resource). */
  | "delete"
  /** A retainOnDelete resource dropped from the state but left on the engine. */
  | "retain"
  /** An existing object adopted into the state (the `import` resource option). */
  | "import";

export interface DeployStep {
  /** 0 for the first deploy, then one more per update or destroy. */
  readonly deployment: number;
  readonly operation: StepOperation;
  /** Why a delete or retain happened. */
  readonly reason?: "replaced" | "removed" | "destroyed";
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** Engine event sequence numbers: a step finished before another started when finishedAt < startedAt. */
  readonly startedAt: number;
  readonly finishedAt: number;
  /** Wall-clock seconds the step took (the engine stamps events in whole seconds). */
  readonly seconds: number;
}

export interface StepFilter {
  readonly deployment?: number;
  readonly operation?: StepOperation;
  readonly type?: string;
  /** Exact resource name or a pattern. */
  readonly name?: string | RegExp;
}

export class DeployLog {
  private readonly recorded: DeployStep[] = [];

  record(step: DeployStep): void {
    this.recorded.push(step);
  }

  get steps(): readonly DeployStep[] {
    return this.recorded;
  }

  filter(filter: StepFilter): DeployStep[] {
    return this.recorded.filter((step) =>
      (filter.deployment === undefined || step.deployment === filter.deployment) &&
      (filter.operation === undefined || step.operation === filter.operation) &&
      (filter.type === undefined || step.type === filter.type) &&
      (filter.name === undefined || (typeof filter.name === "string" ? step.name === filter.name : filter.name.test(step.name))));
  }

  /** The one step matching; throws with the deployment's steps when there is not exactly one. */
  one(filter: StepFilter): DeployStep {
    const found = this.filter(filter);
    if (found.length !== 1) {
      const context = this.filter({ deployment: filter.deployment }).map((step) => `${step.operation} ${step.name}`).join(", ");
      throw new Error(`expected one step matching ${JSON.stringify({ ...filter, name: String(filter.name) })}, found ${found.length}; steps: ${context}`);
    }
    return found[0];
  }

  /** One line per step, for failure messages. */
  describe(deployment?: number): string {
    return this.filter({ deployment }).map((step) =>
      `#${step.deployment} ${step.operation}${step.reason ? `(${step.reason})` : ""} ${step.name} events ${step.startedAt}-${step.finishedAt} (${step.seconds} s)`).join("\n");
  }
}
