import type { AppliedResource } from "./resource";

/**
 * The applied state of the e2e stack, kept in memory across the deploys of one suite like
 * Pulumi's checkpoint: one entry per URN, plus replaced resources whose deletion a failed
 * update left for the next one (Pulumi's pending deletes).
 */
export class StackState {
  private readonly resources = new Map<string, AppliedResource>();
  pendingDeletes: AppliedResource[] = [];

  get(urn: string): AppliedResource | undefined {
    return this.resources.get(urn);
  }

  has(urn: string): boolean {
    return this.resources.has(urn);
  }

  set(resource: AppliedResource): void {
    this.resources.set(resource.urn, resource);
  }

  remove(urn: string): void {
    this.resources.delete(urn);
  }

  all(): AppliedResource[] {
    return [...this.resources.values()];
  }

  /** A copy, so one deploy can compare against the state it started from. */
  snapshot(): ReadonlyMap<string, AppliedResource> {
    return new Map(this.resources);
  }

  /** The resource with this Pulumi resource name (names are unique within this program). */
  byName(name: string): AppliedResource {
    const found = this.all().filter((resource) => resource.name === name);
    if (found.length !== 1) throw new Error(`expected one resource named ${name} in the e2e state, found ${found.length}`);
    return found[0];
  }

  /** A string output of a resource, e.g. the `result` of a RandomPassword. */
  stringOutput(name: string, key: string): string {
    const value = this.byName(name).outputs[key];
    if (typeof value !== "string") throw new Error(`${name} has no string output ${key} (got ${JSON.stringify(value)})`);
    return value;
  }
}
