import { docker, isNotFound } from "./docker-client";

/**
 * Removes every Docker object of the e2e instance: containers (the stack's and the migration
 * job's, all labelled dean.instance=<instance>), then networks, then volumes, retained ones
 * included. Run before the suite (leftovers of an interrupted run) and after it.
 */
export async function removeInstanceObjects(instanceName: string): Promise<{ containers: number; networks: number; volumes: number }> {
  const filters = { label: [`dean.instance=${instanceName}`] };
  const ignoreMissing = (error: unknown): void => {
    if (!isNotFound(error)) throw error;
  };

  const containers = await docker().listContainers({ all: true, filters });
  for (const container of containers) {
    await docker().getContainer(container.Id).remove({ force: true, v: true }).catch(ignoreMissing);
  }
  const networks = await docker().listNetworks({ filters });
  for (const network of networks) {
    await docker().getNetwork(network.Id).remove().catch(ignoreMissing);
  }
  const volumes = (await docker().listVolumes({ filters })).Volumes ?? [];
  for (const volume of volumes) {
    await docker().getVolume(volume.Name).remove().catch(ignoreMissing);
  }
  return { containers: containers.length, networks: networks.length, volumes: volumes.length };
}

/** Names of the instance's objects still on the engine, by kind. */
export async function remainingInstanceObjects(instanceName: string): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const filters = { label: [`dean.instance=${instanceName}`] };
  const containers = await docker().listContainers({ all: true, filters });
  const networks = await docker().listNetworks({ filters });
  const volumes = (await docker().listVolumes({ filters })).Volumes ?? [];
  return {
    containers: containers.flatMap((container) => container.Names.map((name) => name.replace(/^\//, ""))).sort(),
    networks: networks.map((network) => network.Name).sort(),
    volumes: volumes.map((volume) => volume.Name).sort(),
  };
}
