import { isDeepStrictEqual } from "node:util";
import { COMMAND } from "../command-resources";
import { CONTAINER } from "../docker-container";
import { NETWORK, REMOTE_IMAGE, VOLUME } from "../docker-resources";
import { DATABASE, EXTENSION, GRANT, GRANT_ROLE, POSTGRES_PROVIDER, ROLE } from "../postgres-resources";
import { RANDOM_PASSWORD } from "../random-resources";
import type { AppliedResource, Registration } from "../resource";

/**
 * What applying a changed registration means for a resource that already exists, decided as
 * the providers decide it (their diff): nothing, an in-place update, or a replacement.
 */

export type Change = "same" | "update" | "replace";

/** A change the real provider would make but the harness cannot reproduce faithfully. */
export class UnsupportedChange extends Error {
  constructor(resource: Pick<AppliedResource, "type" | "name">, keys: readonly string[], why: string) {
    super(`${resource.type} ${resource.name}: a change of ${keys.join(", ")} ${why}; the e2e deploy harness does not support it`);
    this.name = "UnsupportedChange";
  }
}

/** Top-level input keys whose values differ. */
export function changedInputKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => !isDeepStrictEqual(before[key], after[key])).sort();
}

/**
 * Types whose every input change replaces the resource. For Docker objects this is how the
 * harness treats them (the Docker provider could update a container's restart policy, CPU
 * shares and memory in place; the program never changes those alone); for random values,
 * extensions and grants every input is ForceNew in their providers.
 */
const REPLACED_ON_ANY_CHANGE = new Set([REMOTE_IMAGE, NETWORK, VOLUME, CONTAINER, RANDOM_PASSWORD, EXTENSION, GRANT, GRANT_ROLE]);

/** Role attributes the postgresql provider changes with ALTER ROLE. */
const ROLE_UPDATABLE = new Set(["password", "login", "superuser", "createDatabase", "createRole"]);

export function planChange(previous: AppliedResource, next: Registration): Change {
  if (!next.custom) return "same";
  if (previous.provider !== next.provider) throw new UnsupportedChange(previous, ["provider"], "(moving a resource to another provider)");
  const changed = changedInputKeys(previous.inputs, next.inputs);
  if (changed.length === 0) return "same";
  if (REPLACED_ON_ANY_CHANGE.has(next.type)) return "replace";
  switch (next.type) {
    case COMMAND:
      // @pulumi/command: only `triggers` replace; any other change runs `update` (or `create`).
      return changed.includes("triggers") ? "replace" : "update";
    case POSTGRES_PROVIDER:
      // New connection settings apply to later operations; nothing is replaced.
      return "update";
    case ROLE: {
      const notUpdatable = changed.filter((key) => !ROLE_UPDATABLE.has(key));
      if (notUpdatable.length > 0) throw new UnsupportedChange(previous, notUpdatable, "(renaming a role)");
      return "update";
    }
    case DATABASE:
      throw new UnsupportedChange(previous, changed, "(ALTER DATABASE: rename, owner change)");
    default:
      throw new UnsupportedChange(previous, changed, "(no diff rule for this type)");
  }
}
