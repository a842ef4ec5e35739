import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { asString, COMMAND, CONTAINER, describe, isLongRunning, known, serviceOf } from "../lib/resources";
import { configSchema, readSettings, type Settings } from "../lib/settings";

const settings = {
  maxPidsLimit: {
    type: "integer",
    minimum: 1,
    default: 32768,
    description: "Highest PIDs limit a container may have (Linux's default pid_max: a higher one bounds nothing).",
  },
} as const satisfies Settings;

/** `docker update ... --pids-limit N ...` in a command's text: N as written. */
const DOCKER_UPDATE_PIDS = /\bdocker\s+update\b[^\n]*?\s--pids-limit(?:\s+|=)(\S+)/;

/** A command that sets a container's PIDs limit, and the limit its text names. */
interface Setter {
  readonly command: PolicyResource;
  /** The limit, or undefined when the text is not known (computed from another output). */
  readonly limit: string | undefined;
}

/** Whether `command`'s input `property` is fed by `container`'s outputs (the engine's property dependencies). */
function feeds(container: PolicyResource, command: PolicyResource, property: string): boolean {
  return (command.propertyDependencies[property] ?? []).some((source) => source.urn === container.urn);
}

/**
 * The commands that set this container's limit: their trigger is the container (so a replaced
 * container gets its limit again) and what they run is built from it (its name). Read from the
 * dependency graph, which is known at a preview, when the container's name and ID are not.
 */
function settersOf(container: PolicyResource, commands: readonly PolicyResource[]): Setter[] {
  return commands.flatMap((command): Setter[] => {
    if (!feeds(container, command, "triggers") || !(feeds(container, command, "environment") || feeds(container, command, "create"))) return [];
    const text = known(() => asString(command.props.create));
    if (text === undefined) return [{ command, limit: undefined }];
    const match = DOCKER_UPDATE_PIDS.exec(text);
    return match ? [{ command, limit: match[1] }] : [];
  });
}

/** Why a limit as written is not a bound (a phrase after the limit), or undefined when it is one. */
function limitProblem(limit: string, max: number): string | undefined {
  if (!/^-?\d+$/.test(limit)) return "is not a whole number";
  const value = Number(limit);
  if (value <= 0) return "means no limit at all";
  if (value > max) return `is above the maximum of ${max}`;
  return undefined;
}

/**
 * CIS Docker Benchmark 5.29: without a PIDs limit one container's fork bomb or thread leak takes
 * every PID of the host. The Docker provider 5.x has no input for it, so the program sets it
 * with a `docker update --pids-limit` command per container.
 */
export const pidsLimit: StackValidationPolicy = {
  name: "pids-limit",
  description: "Every long-running container gets a cgroup PIDs limit (CIS Docker Benchmark 5.29): a command running `docker update --pids-limit N` on it whenever it is created, with 0 < N <= the maximum.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: configSchema(settings),
  remediationSteps: "Give the container dean:<service>.resources.pidsLimit and the program's pidsLimit() command (components/pids-limit.ts): `docker update --pids-limit N` with the container's ID as its trigger.",
  validateStack: (args, reportViolation) => {
    const { maxPidsLimit } = readSettings(settings, args.getConfig());
    const commands = args.resources.filter((resource) => resource.type === COMMAND);
    for (const container of args.resources) {
      if (container.type !== CONTAINER || !isLongRunning(container.props)) continue;
      const setters = settersOf(container, commands);
      const known = setters.filter((setter): setter is Setter & { readonly limit: string } => setter.limit !== undefined);
      const unknown = setters.filter((setter) => setter.limit === undefined);
      const problems: string[] = [];
      if (setters.length === 0) {
        problems.push("no command sets its PIDs limit (`docker update --pids-limit N` triggered by the container, so a replacement gets it again)");
      }
      // A command whose text is not known yet may be any command that follows the container
      // (nginx's reload names it and a release it waits for): it matters only when nothing
      // known sets the limit, since then the limit cannot be checked at all.
      if (known.length === 0) {
        for (const setter of unknown) {
          problems.push(`${setter.command.name} runs a command whose text is not known before the update, so its limit cannot be checked`);
        }
      }
      for (const setter of known) {
        const problem = limitProblem(setter.limit, maxPidsLimit);
        if (problem) problems.push(`${setter.command.name}: --pids-limit ${setter.limit} ${problem}`);
      }
      if (problems.length > 0) {
        reportViolation(`${describe(container)}: ${problems.join("; ")}. Fix: set dean:${serviceOf(container.props) ?? "<service>"}.resources.pidsLimit and keep the program's pidsLimit() command for the container.`, container.urn);
      }
    }
  },
};
