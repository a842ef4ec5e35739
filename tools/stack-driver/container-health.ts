import { containerLogTail, docker } from "./docker-client";
import { GiveUp, waitFor } from "./wait";

/**
 * Waiting for a container the way the Docker provider's `wait` does (poll the health status
 * until healthy, bounded by waitTimeout), failing with what an operator needs to see: the last
 * healthcheck results and the container's own log.
 */

export type HealthStatus = "starting" | "healthy" | "unhealthy" | "none";

interface HealthLogEntry {
  readonly ExitCode?: number;
  readonly Output?: string;
}

export interface ContainerCondition {
  readonly running: boolean;
  readonly status: string;
  readonly exitCode: number;
  readonly health: HealthStatus;
  readonly healthLog: readonly HealthLogEntry[];
}

export async function containerCondition(id: string): Promise<ContainerCondition> {
  const info = await docker().getContainer(id).inspect();
  const health = info.State.Health as { Status?: string; Log?: HealthLogEntry[] } | undefined;
  return {
    running: info.State.Running,
    status: info.State.Status,
    exitCode: info.State.ExitCode,
    health: (health?.Status ?? "none") as HealthStatus,
    healthLog: health?.Log ?? [],
  };
}

/** The diagnostics appended to every wait failure. */
export async function containerDiagnostics(id: string, label: string): Promise<string> {
  let health = "";
  try {
    const condition = await containerCondition(id);
    const recent = condition.healthLog.slice(-3).map((entry) => `  exit ${entry.ExitCode}: ${(entry.Output ?? "").trim()}`);
    health = `state ${condition.status} (exit code ${condition.exitCode}), health ${condition.health}\nlast healthchecks:\n${recent.join("\n") || "  (none)"}`;
  } catch (error) {
    health = `cannot inspect: ${error instanceof Error ? error.message : String(error)}`;
  }
  return `${label}: ${health}\ncontainer log (tail):\n${await containerLogTail(id)}`;
}

/** Waits until the container's healthcheck reports healthy; gives up early if it stops running. */
export async function waitHealthy(id: string, label: string, timeoutMs: number): Promise<void> {
  try {
    await waitFor(`${label} to become healthy`, async () => {
      const condition = await containerCondition(id);
      if (!condition.running) throw new GiveUp(`${label} is not running (state ${condition.status})`);
      if (condition.health === "none") throw new GiveUp(`${label} has no healthcheck to wait for`);
      return condition.health === "healthy" ? true : undefined;
    }, timeoutMs, 1000);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await containerDiagnostics(id, label)}`, { cause: error });
  }
}

/**
 * The provider's check after start (resourceDockerContainerRead with must_run): the container
 * must be running; one that exited right away is an error.
 */
export async function waitRunning(id: string, label: string, timeoutMs = 15_000): Promise<void> {
  try {
    await waitFor(`${label} to be running`, async () => {
      const condition = await containerCondition(id);
      if (condition.running) return true;
      if (condition.status === "exited" || condition.status === "dead") throw new GiveUp(`${label} exited right after start (exit code ${condition.exitCode})`);
      return undefined;
    }, timeoutMs, 250);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await containerDiagnostics(id, label)}`, { cause: error });
  }
}
