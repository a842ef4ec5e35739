import * as path from "node:path";
import { evaluateProgram, type ProgramEvaluation } from "../../../tools/mock-program";
import { type DeployStep, DeployLog, type StepOperation } from "./deploy-log";
import type { ApplyContext, ResourceHandler } from "./handler";
import { handlerFor } from "./handlers";
import { deletionOrder } from "./planner/delete-order";
import { planChange } from "./planner/diff";
import { type Applied, type AppliedResource, describeResource, providerUrn, type Registration } from "./resource";
import { type ConfigOverrides, E2E_STACK, e2eConfig } from "./stack-config";
import { StackState } from "./state";
import { sleep } from "../../support/wait";

/**
 * Deploys the real program to the local Docker engine the way `pulumi up` would, without the
 * Pulumi CLI (docs/architecture.md, "Testing tiers"): the program runs under Pulumi's mock runtime (tools/mock-program.ts)
 * and every registration is applied for real inside the mock's creation hook. The SDK resolves
 * a resource's inputs and dependsOn resources before registering it, so the hook runs in true
 * dependency order, and what it returns is what dependents see (real image IDs, generated
 * passwords, a command's stdout).
 *
 * An update compares each registration with the state: unchanged resources keep their
 * outputs, changed ones are updated in place or replaced as their provider would (planner/
 * diff.ts), create-before-delete unless deleteBeforeReplace; replaced and removed resources
 * are deleted after every create, in reverse dependency order; retainOnDelete resources are
 * never deleted.
 */

const PROJECT_DIR = path.resolve(__dirname, "../../..");

// Every evaluation loads a fresh Pulumi runtime, which adds its own process exit hooks.
process.setMaxListeners(100);

type Stage = "running" | "failed";

function neverSettles<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

/** The error of a failed step, naming the deployment and the resource. */
function withResource(error: unknown, registration: Registration, deployment: number): Error {
  const message = error instanceof Error ? error.message : String(error);
  const named = message.includes(registration.name) ? message : `${describeResource(registration)}: ${message}`;
  return new Error(`deploy #${deployment} failed: ${named}`, { cause: error });
}

/** The bookkeeping of one deploy while the program is being evaluated. */
interface Deployment {
  readonly index: number;
  readonly previous: ReadonlyMap<string, AppliedResource>;
  readonly next: Map<string, AppliedResource>;
  /** Replaced resources (create-before-delete) to delete once every create is done. */
  readonly replaced: AppliedResource[];
  /** Resources already deleted during this deploy (delete-before-replace). */
  readonly deleted: Set<string>;
  readonly inFlight: Set<Promise<unknown>>;
  stage: Stage;
}

export class E2eStack {
  readonly state = new StackState();
  readonly log = new DeployLog();
  /** The program's stack outputs after the last successful deploy. */
  outputs: Record<string, unknown> = {};
  private deployments = 0;

  private constructor() {}

  /** The first deploy of the e2e stack config plus overrides. */
  static async up(overrides: ConfigOverrides = {}): Promise<E2eStack> {
    const stack = new E2eStack();
    await stack.apply(overrides);
    return stack;
  }

  /**
   * Applies the e2e config plus these overrides (not cumulative: pass the whole change) to the
   * running stack. Returns the deployment index, for filtering `log`.
   */
  async update(overrides: ConfigOverrides): Promise<number> {
    return this.apply(overrides);
  }

  /** Deletes every resource in reverse dependency order; retainOnDelete ones stay on the engine. */
  async destroyAll(): Promise<number> {
    const index = this.deployments++;
    const resources = [...this.state.pendingDeletes, ...this.state.all()];
    const context = this.contextFor(new Map(), this.state.snapshot());
    for (const resource of deletionOrder(resources)) {
      await this.remove(resource, "destroyed", index, context);
      // A pending delete can share its URN with the live resource: drop exactly this one.
      if (this.state.get(resource.urn) === resource) this.state.remove(resource.urn);
      this.state.pendingDeletes = this.state.pendingDeletes.filter((pending) => pending !== resource);
    }
    this.outputs = {};
    return index;
  }

  /** Index of the latest deployment (successful or not), for filtering `log`. */
  get lastDeployment(): number {
    return this.deployments - 1;
  }

  /** The steps of one deployment, for failure messages. */
  describe(deployment?: number): string {
    return this.log.describe(deployment);
  }

  private contextFor(next: ReadonlyMap<string, AppliedResource>, previous: ReadonlyMap<string, AppliedResource>): ApplyContext {
    return {
      provider: (reference) => {
        const urn = providerUrn(reference);
        const provider = next.get(urn) ?? previous.get(urn);
        if (!provider) throw new Error(`provider ${urn} has not been applied`);
        return provider;
      },
    };
  }

  private async timed<T>(deployment: number, operation: StepOperation, resource: Pick<DeployStep, "urn" | "type" | "name">, action: () => Promise<T>, reason?: DeployStep["reason"]): Promise<T> {
    const startedAt = Date.now();
    const result = await action();
    this.log.record({ deployment, operation, reason, urn: resource.urn, type: resource.type, name: resource.name, startedAt, finishedAt: Date.now() });
    return result;
  }

  /** Deletes one resource for real, unless it is a component or retained. */
  private async remove(resource: AppliedResource, reason: NonNullable<DeployStep["reason"]>, deployment: number, context: ApplyContext): Promise<void> {
    if (!resource.custom) return;
    if (resource.retainOnDelete) {
      const now = Date.now();
      this.log.record({ deployment, operation: "retain", reason, urn: resource.urn, type: resource.type, name: resource.name, startedAt: now, finishedAt: now });
      return;
    }
    if (resource.protect) throw new Error(`${describeResource(resource)} is protected: Pulumi refuses to delete it`);
    await this.timed(deployment, "delete", resource, () => handlerFor(resource.type, resource.name).delete(resource, context), reason);
  }

  /** The mock runtime's creation hook: applies one registration and returns what dependents see. */
  private async applyRegistration(registration: Registration, deployment: Deployment): Promise<Record<string, unknown>> {
    const record = (applied: Applied): Record<string, unknown> => {
      deployment.next.set(registration.urn, { ...registration, outputs: applied.outputs, physicalId: applied.physicalId });
      return { ...applied.outputs };
    };
    if (!registration.custom) return record({ outputs: {}, physicalId: "" });

    const handler = handlerFor(registration.type, registration.name);
    // Every input is checked before anything changes for this resource.
    handler.validate(registration);
    const context = this.contextFor(deployment.next, deployment.previous);
    const previous = deployment.previous.get(registration.urn);
    if (!previous) return record(await this.timed(deployment.index, "create", registration, () => handler.create(registration, context)));

    switch (planChange(previous, registration)) {
      case "same":
        return record({ outputs: previous.outputs, physicalId: previous.physicalId });
      case "update":
        return record(await this.timed(deployment.index, "update", registration, () => handler.update(previous, registration, context)));
      case "replace":
        return record(await this.replace(previous, registration, handler, context, deployment));
    }
  }

  /**
   * Pulumi's replacement: create the new resource, and retire the old one for deletion after
   * every create, or, with deleteBeforeReplace, delete the old one first.
   */
  private async replace(previous: AppliedResource, registration: Registration, handler: ResourceHandler, context: ApplyContext, deployment: Deployment): Promise<Applied> {
    if (previous.protect) throw new Error(`${describeResource(previous)} is protected: Pulumi refuses to replace it`);
    if (registration.deleteBeforeReplace) {
      await this.remove(previous, "replaced", deployment.index, context);
      deployment.deleted.add(registration.urn);
      return this.timed(deployment.index, "replace", registration, () => handler.create(registration, context));
    }
    const replacement = await this.timed(deployment.index, "replace", registration, () => handler.create(registration, context));
    // Only a replacement that exists retires the old resource; if its create fails, the old
    // one stays the live resource.
    deployment.replaced.push(previous);
    return replacement;
  }

  private async apply(overrides: ConfigOverrides): Promise<number> {
    const deployment: Deployment = {
      index: this.deployments++,
      previous: this.state.snapshot(),
      next: new Map(),
      replaced: [],
      deleted: new Set(),
      inFlight: new Set(),
      stage: "running",
    };
    const evaluation = await this.evaluate(deployment, overrides);
    this.outputs = Object.fromEntries(Object.entries(evaluation.outputs).map(([name, output]) => [name, output.value]));
    await this.deleteRetired(deployment);
    return deployment.index;
  }

  /**
   * Runs the program with the hook that applies each registration. On failure the state keeps
   * what was done, like Pulumi's checkpoint after a failed update: new and updated resources are
   * recorded, replaced ones stay to be deleted by a later update, nothing removed is deleted.
   */
  private async evaluate(deployment: Deployment, overrides: ConfigOverrides): Promise<ProgramEvaluation> {
    let reportFailure: (error: unknown) => void = () => undefined;
    const failure = new Promise<never>((_, reject) => {
      reportFailure = reject;
    });
    failure.catch(() => undefined);
    const hook = (registration: Registration): Promise<Record<string, unknown>> => {
      // Pulumi starts no new step once an update has failed (steps in flight finish).
      if (deployment.stage === "failed") return neverSettles();
      const step = this.applyRegistration(registration, deployment);
      deployment.inFlight.add(step);
      void step.finally(() => deployment.inFlight.delete(step)).catch(() => undefined);
      return step.catch((error: unknown) => {
        deployment.stage = "failed";
        reportFailure(withResource(error, registration, deployment.index));
        // Rejecting would make the runtime reject every dependent's registration with no one
        // to handle it (jest fails the test on such rejections); the failure is reported above
        // and the registration simply never completes, so no dependent is ever registered.
        return neverSettles();
      });
    };

    let evaluation: ProgramEvaluation | undefined;
    try {
      // The race is inside the isolated registry so that a failure closes it (jest allows one
      // at a time); the abandoned evaluation stays pending, its hooks never settling.
      await jest.isolateModulesAsync(async () => {
        evaluation = await Promise.race([
          evaluateProgram({ projectDir: PROJECT_DIR, stack: E2E_STACK, config: e2eConfig(overrides), computedState: hook }),
          failure,
        ]);
      });
    } catch (error) {
      deployment.stage = "failed";
      await this.settle(deployment.inFlight);
      for (const urn of deployment.deleted) this.state.remove(urn);
      for (const resource of deployment.next.values()) this.state.set(resource);
      this.state.pendingDeletes.push(...deployment.replaced);
      throw error;
    }
    if (!evaluation) throw new Error("the program was not evaluated");
    return evaluation;
  }

  /**
   * After every create: deletes the replaced resources, the ones the program no longer
   * declares and those a failed update left, in reverse dependency order. What a failing delete
   * leaves stays pending for the next update.
   */
  private async deleteRetired(deployment: Deployment): Promise<void> {
    const removed = [...deployment.previous.values()].filter((resource) => !deployment.next.has(resource.urn) && !deployment.deleted.has(resource.urn));
    const reasons = new Map<AppliedResource, NonNullable<DeployStep["reason"]>>([
      ...this.state.pendingDeletes.map((resource) => [resource, "replaced"] as const),
      ...deployment.replaced.map((resource) => [resource, "replaced"] as const),
      ...removed.map((resource) => [resource, "removed"] as const),
    ]);
    for (const resource of removed) this.state.remove(resource.urn);
    for (const resource of deployment.next.values()) this.state.set(resource);
    const context = this.contextFor(deployment.next, deployment.previous);
    const queue = deletionOrder([...reasons.keys()]);
    this.state.pendingDeletes = queue;
    while (queue.length > 0) {
      await this.remove(queue[0], reasons.get(queue[0]) ?? "removed", deployment.index, context);
      queue.shift();
    }
  }

  /** Waits for the steps still running after a failure (each bounded by its own timeout). */
  private async settle(inFlight: ReadonlySet<Promise<unknown>>): Promise<void> {
    for (let round = 0; round < 1000 && inFlight.size > 0; round++) {
      await Promise.allSettled([...inFlight]);
      await sleep(10);
    }
  }
}
