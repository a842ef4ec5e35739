import type { DeclaredResource, MockedResource } from "../../../tools/mock-program";

/**
 * What the deploy harness keeps per resource, as the Pulumi engine keeps it in a stack's
 * state: the inputs it was created or updated with, the outputs dependents saw, and the
 * options that govern replacement and deletion.
 */

/** One registration as the program made it (inputs with secrets unwrapped). */
export type Registration = MockedResource;

/** A resource the harness has applied to the Docker engine / PostgreSQL. */
export interface AppliedResource extends Pick<DeclaredResource,
  "urn" | "type" | "name" | "custom" | "inputs" | "parent" | "dependencies" | "provider" | "protect" | "retainOnDelete" | "deleteBeforeReplace"> {
  /** What dependents saw: the provider's computed outputs (container name, image ID, stdout...). */
  readonly outputs: Record<string, unknown>;
  /** Engine-side identity the harness needs to delete it (container ID, network ID, ...). */
  readonly physicalId: string;
}

/** Result of creating or updating a resource for real. */
export interface Applied {
  readonly outputs: Record<string, unknown>;
  readonly physicalId: string;
}

/** The provider URN of a provider reference "<urn>::<id>" (Pulumi's format). */
export function providerUrn(reference: string): string {
  const separator = reference.lastIndexOf("::");
  if (separator <= 0) throw new Error(`malformed provider reference ${JSON.stringify(reference)}`);
  return reference.slice(0, separator);
}

/** URNs a resource must outlive: its dependencies, its explicit provider and its parent. */
export function prerequisites(resource: Pick<AppliedResource, "dependencies" | "provider" | "parent">): string[] {
  const urns = [...resource.dependencies];
  if (resource.provider) urns.push(providerUrn(resource.provider));
  if (resource.parent) urns.push(resource.parent);
  return urns;
}

export function describeResource(resource: Pick<AppliedResource, "type" | "name">): string {
  return `${resource.type} ${resource.name}`;
}
