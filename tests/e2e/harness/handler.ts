import type { Applied, AppliedResource, Registration } from "./resource";

/** What a resource handler may ask of the deployment it runs in. */
export interface ApplyContext {
  /** The applied explicit provider a "<provider urn>::<id>" reference names. */
  provider(reference: string): AppliedResource;
}

/**
 * Creates, updates and deletes one resource type for real. `validate` runs the type's input
 * allow-list and has no side effects; `update` is only called when the planner decided the
 * provider updates the change in place.
 */
export interface ResourceHandler {
  validate(registration: Registration): void;
  create(registration: Registration, context: ApplyContext): Promise<Applied>;
  update(previous: AppliedResource, registration: Registration, context: ApplyContext): Promise<Applied>;
  delete(resource: AppliedResource, context: ApplyContext): Promise<void>;
}

/** For types whose provider replaces on every change: the planner never asks them to update. */
export function noInPlaceUpdate(type: string): ResourceHandler["update"] {
  return async (previous) => {
    throw new Error(`${type} ${previous.name}: the harness has no in-place update for this type (the planner should have replaced it)`);
  };
}
