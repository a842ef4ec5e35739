import { randomBytes } from "node:crypto";
import { containerSpec } from "./container-spec";
import { waitHealthy, waitRunning } from "./container-health";
import { docker, isNotFound } from "./docker-client";
import { noInPlaceUpdate, type ResourceHandler } from "./handler";
import type { Applied, Registration } from "./resource";
import { singleFileTar } from "./tar";

export { CONTAINER } from "./container-spec";

/**
 * Pulumi auto-names a resource that has no `name` input: its resource name plus a random
 * suffix (7 hex digits), drawn anew for every replacement.
 */
export function autoName(resourceName: string): string {
  return `${resourceName}-${randomBytes(4).toString("hex").slice(0, 7)}`;
}

async function forceRemove(id: string): Promise<void> {
  try {
    await docker().getContainer(id).remove({ force: true, v: true });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/**
 * Create = the provider's sequence: create on the first network, connect the others (with
 * their aliases), upload files, start, check it runs (mustRun) and, with `wait`, poll its
 * health until healthy within waitTimeout. A container that fails any step is removed (the
 * provider deletes one that exited right away) and the error carries its diagnostics.
 */
async function createContainer(registration: Registration): Promise<Applied> {
  const spec = containerSpec(registration);
  const name = spec.name ?? autoName(registration.name);
  const label = `${registration.name} (${name})`;
  const container = await docker().createContainer({ ...spec.create, name });
  try {
    for (const network of spec.extraNetworks) {
      await docker().getNetwork(network.name).connect({ Container: container.id, EndpointConfig: { Aliases: network.aliases } });
    }
    for (const upload of spec.uploads) {
      await container.putArchive(singleFileTar({ path: upload.file, content: upload.content, mode: upload.mode }), { path: "/" });
    }
    await container.start();
    if (spec.mustRun) await waitRunning(container.id, label);
    if (spec.wait) await waitHealthy(container.id, label, spec.waitTimeoutSeconds * 1000);
  } catch (error) {
    await forceRemove(container.id);
    throw error;
  }
  return { outputs: { name }, physicalId: container.id };
}

/**
 * Delete = the provider's: with destroyGraceSeconds, `docker stop` with that timeout (the
 * container's stop signal first), then a forced remove with its anonymous volumes; without
 * it, straight to the forced remove (SIGKILL).
 */
async function stopAndRemove(id: string, graceSeconds: number | undefined): Promise<void> {
  if (graceSeconds !== undefined) {
    try {
      await docker().getContainer(id).stop({ t: graceSeconds });
    } catch (error) {
      // 304: already stopped; 404: already gone. Either way the remove below finishes the job.
      if (!isNotFound(error) && (error as { statusCode?: number }).statusCode !== 304) throw error;
    }
  }
  await forceRemove(id);
}

export const containerHandler: ResourceHandler = {
  validate: (registration) => void containerSpec(registration),
  create: createContainer,
  update: noInPlaceUpdate("docker:index/container:Container"),
  delete: async (resource) => stopAndRemove(resource.physicalId, resource.inputs.destroyGraceSeconds as number | undefined),
};
