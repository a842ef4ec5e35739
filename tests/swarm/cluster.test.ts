import Docker from "dockerode";
import { execOk } from "../../tools/stack-driver/docker-exec";
import { missingPrerequisite } from "../../tools/stack-driver/prerequisites";
import { waitFor } from "../../tools/stack-driver/wait";
import { describeWithPrerequisite } from "../support/prerequisites";
import { killNode, loadImages, removeSwarm, startSwarm, SWARM_NODE_IMAGE, type TestSwarm } from "./support/swarm-nodes";

jest.setTimeout(300_000);

/** Objects of this suite are named dean-swarm-cluster-*. */
const ID = "cluster";
/** A small image with a server and its client: tasks answer each other's PING across nodes. */
const PROBE_IMAGE = "dean-local/redis:7";
const PROBE_SERVICE = "dean-swarm-probe";
const OVERLAY = "dean-swarm-probe-net";

interface TaskInfo {
  readonly ID: string;
  readonly NodeID: string;
  readonly Status: { readonly State: string; readonly ContainerStatus?: { readonly ContainerID?: string } };
  readonly DesiredState: string;
  readonly NetworksAttachments?: { readonly Network: { readonly Spec: { readonly Name: string } }; readonly Addresses: string[] }[];
}

describeWithPrerequisite("a Docker Swarm of three Docker-in-Docker nodes (tests/swarm/support)", missingPrerequisite([SWARM_NODE_IMAGE, PROBE_IMAGE]), () => {
  let swarm: TestSwarm;
  const manager = (): Docker => swarm.manager.engine;
  const runningTasks = async (): Promise<TaskInfo[]> =>
    ((await manager().listTasks({ filters: { service: [PROBE_SERVICE], "desired-state": ["running"] } })) as TaskInfo[]).filter((task) => task.Status.State === "running");

  beforeAll(async () => {
    await removeSwarm(ID);
    swarm = await startSwarm({ id: ID, workers: 2, labels: { 0: { "dean.data": "true", "dean.edge": "true" } } });
    await loadImages(swarm, [PROBE_IMAGE]);
  });

  afterAll(async () => {
    await removeSwarm(ID);
  });

  test("one manager and two workers join one swarm, each ready and active; labels are on the manager", async () => {
    const nodes = (await manager().listNodes()) as { ID: string; Spec: { Role: string; Availability: string; Labels?: Record<string, string> }; Status: { State: string } }[];
    expect(nodes).toHaveLength(3);
    expect(nodes.map((node) => node.Spec.Role).sort()).toEqual(["manager", "worker", "worker"]);
    expect(nodes.every((node) => node.Status.State === "ready" && node.Spec.Availability === "active")).toBe(true);
    const labelled = nodes.find((node) => node.ID === swarm.manager.nodeId);
    expect(labelled?.Spec.Labels).toEqual({ "dean.data": "true", "dean.edge": "true" });
  });

  test("a replicated service with DNS round robin spreads over the nodes, and its tasks reach each other over an overlay network", async () => {
    await manager().createNetwork({ Name: OVERLAY, Driver: "overlay", Attachable: true });
    await manager().createService({
      Name: PROBE_SERVICE,
      TaskTemplate: {
        ContainerSpec: { Image: PROBE_IMAGE, Args: ["redis-server", "--protected-mode", "no"] },
        Networks: [{ Target: OVERLAY }],
        Placement: { Preferences: [{ Spread: { SpreadDescriptor: "node.id" } }] },
      },
      Mode: { Replicated: { Replicas: 3 } },
      // No IPVS in this kernel: no virtual IP, the service name resolves to every task.
      EndpointSpec: { Mode: "dnsrr" },
    });
    const tasks = await waitFor("3 running probe tasks", async () => {
      const running = await runningTasks();
      return running.length === 3 ? running : undefined;
    }, 120_000, 500);
    expect(new Set(tasks.map((task) => task.NodeID)).size).toBe(3);

    // From the task on the manager, every task's overlay address answers.
    const local = tasks.find((task) => task.NodeID === swarm.manager.nodeId);
    const containerId = local?.Status.ContainerStatus?.ContainerID;
    expect(containerId).toBeDefined();
    const addresses = tasks.flatMap((task) => task.NetworksAttachments?.find((attachment) => attachment.Network.Spec.Name === OVERLAY)?.Addresses ?? []).map((cidr) => cidr.split("/")[0]);
    expect(addresses).toHaveLength(3);
    for (const address of addresses) {
      expect((await execOk(String(containerId), ["redis-cli", "-h", address, "ping"], { engine: manager() })).trim()).toBe("PONG");
    }
    // And the service's name resolves to all of them (dnsrr).
    const resolved = await execOk(String(containerId), ["getent", "ahostsv4", PROBE_SERVICE], { engine: manager() });
    expect(new Set(resolved.split("\n").map((line) => line.split(/\s+/)[0]).filter(Boolean))).toEqual(new Set(addresses));
  });

  test("a killed worker is marked down and its task runs on another node", async () => {
    const worker = swarm.nodes.find((node) => node.role === "worker");
    if (!worker) throw new Error("no worker");
    const killedAt = Date.now();
    await killNode(worker);
    await waitFor(`${worker.name} marked down`, async () => {
      const node = (await manager().getNode(worker.nodeId).inspect()) as { Status: { State: string } };
      return node.Status.State === "down" ? true : undefined;
    }, 90_000, 500);
    const downAfterMs = Date.now() - killedAt;
    const tasks = await waitFor("3 running probe tasks off the killed node", async () => {
      const running = await runningTasks();
      return running.length === 3 && running.every((task) => task.NodeID !== worker.nodeId) ? running : undefined;
    }, 120_000, 500);
    const rescheduledAfterMs = Date.now() - killedAt;
    expect(tasks.every((task) => task.NodeID !== worker.nodeId)).toBe(true);
    console.log(`swarm: ${worker.name} killed: down after ${(downAfterMs / 1000).toFixed(1)} s, its task running elsewhere after ${(rescheduledAfterMs / 1000).toFixed(1)} s`);
  });
});
