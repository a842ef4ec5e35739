import { type AppliedResource, describeResource, prerequisites } from "../resource";

/**
 * The order Pulumi deletes resources in: reverse dependency order, so a resource goes before
 * everything it depends on (its dependencies, explicit provider and parent) that is also
 * being deleted. Independent resources keep their given order.
 */
export function deletionOrder<T extends AppliedResource>(resources: readonly T[]): T[] {
  const remaining = [...resources];
  const ordered: T[] = [];
  while (remaining.length > 0) {
    // Deletable now: nothing still remaining depends on it.
    const index = remaining.findIndex((candidate) =>
      !remaining.some((other) => other !== candidate && prerequisites(other).includes(candidate.urn)));
    if (index < 0) throw new Error(`dependency cycle among: ${remaining.map(describeResource).join(", ")}`);
    ordered.push(...remaining.splice(index, 1));
  }
  return ordered;
}
