import { containerCondition, type HealthStatus } from "./container-health";
import { docker } from "./docker-client";
import { waitFor } from "./wait";

/** The running containers of one service of the e2e instance (by label), and their health. */

export interface ServiceContainer {
  readonly id: string;
  /** The 12-character short ID: the container's hostname, which the API reports as X-Replica. */
  readonly shortId: string;
  readonly name: string;
  readonly imageId: string;
}

export async function serviceContainers(instanceName: string, service: string): Promise<ServiceContainer[]> {
  const containers = await docker().listContainers({ filters: { label: [`dean.instance=${instanceName}`, `dean.service=${service}`] } });
  return containers
    .map((container) => ({ id: container.Id, shortId: container.Id.slice(0, 12), name: container.Names[0].replace(/^\//, ""), imageId: container.ImageID }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function healthOf(id: string): Promise<HealthStatus> {
  return (await containerCondition(id)).health;
}

/** Waits until a container's health is `status`; the last healthcheck output on timeout. */
export async function waitForHealth(id: string, status: HealthStatus, timeoutMs: number): Promise<string> {
  return waitFor(`container ${id.slice(0, 12)} to be ${status}`, async () => {
    const condition = await containerCondition(id);
    return condition.health === status ? (condition.healthLog.at(-1)?.Output ?? "").trim() : undefined;
  }, timeoutMs, 1000);
}

/** A container's environment, NAME -> value. */
export async function containerEnv(id: string): Promise<Record<string, string>> {
  const info = await docker().getContainer(id).inspect();
  return Object.fromEntries((info.Config.Env ?? []).map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
}
