import * as command from "@pulumi/command";
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";

/**
 * A service container's cgroup PIDs limit (CIS Docker Benchmark 5.29). The Docker provider has
 * no input for it, so a command sets it on the created container with `docker update
 * --pids-limit`, which Docker keeps in the container's HostConfig: a restart, by its policy or
 * the daemon's, keeps the limit. The command runs again for every new container (its trigger is
 * the container's ID) and for a new limit (its text), which replaces nothing. From the moment
 * Docker starts a new container until this command has run, the container has no limit; for a
 * container the provider waits on (`wait`) that includes the time it takes to turn healthy.
 */

/** The environment variable the command reads the container's name from. */
const PIDS_LIMIT_TARGET_VARIABLE = "DEAN_CONTAINER";

/**
 * The command's text: the limit is in it, the container's name is not (a replica's name is not
 * known before it exists), so the text is fixed when the plan is made and a policy can read it.
 */
export function pidsLimitCommand(limit: number): string {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`a PIDs limit must be a whole number above 0 (got ${limit})`);
  return `docker update --pids-limit ${limit} "$${PIDS_LIMIT_TARGET_VARIABLE}"`;
}

/** Sets `limit` on `container` whenever either changes. */
export function pidsLimit(name: string, container: docker.Container, limit: number, opts: pulumi.CustomResourceOptions): command.local.Command {
  return new command.local.Command(name, {
    create: pidsLimitCommand(limit),
    environment: { [PIDS_LIMIT_TARGET_VARIABLE]: container.name },
    triggers: [container.id],
    logging: "stderr",
  }, { ...opts, dependsOn: [container] });
}
