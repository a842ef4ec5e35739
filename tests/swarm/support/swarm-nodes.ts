import Docker from "dockerode";
import { waitFor } from "../../../tools/stack-driver/wait";

/** The node image scripts/setup-test-host.sh builds from images/swarm-node. */
export const SWARM_NODE_IMAGE = "dean-local/swarm-node:1";

/** Every object the harness creates carries it, so a sweep finds what a crashed run left. */
const HARNESS_LABEL = "dean.swarm-test";

/** How the node containers run without --privileged (see images/swarm-node). */
const NODE_HOST_CONFIG: Docker.HostConfig = {
  CapAdd: ["ALL"],
  // --privileged asks for every capability and this machine's bounding set lacks SYS_RESOURCE.
  CapDrop: ["SYS_RESOURCE"],
  SecurityOpt: ["seccomp=unconfined", "apparmor=unconfined"],
  // The CLI's `--security-opt systempaths=unconfined`: nothing of /proc or /sys masked or read-only.
  MaskedPaths: [],
  ReadonlyPaths: [],
  DeviceCgroupRules: ["a *:* rwm"],
  Init: true,
};

const ENGINE_PORT = "2375/tcp";
const NODE_READY_MS = 60_000;

export type NodeRole = "manager" | "worker";

export interface SwarmNode {
  readonly name: string;
  readonly role: NodeRole;
  /** The node's address on the private bridge (where the other nodes reach it). */
  readonly address: string;
  /** The node's own Docker engine, through its API published on 127.0.0.1. */
  readonly engine: Docker;
  /** Its Swarm node ID. */
  readonly nodeId: string;
}

export interface TestSwarm {
  readonly id: string;
  readonly network: string;
  readonly nodes: readonly SwarmNode[];
  readonly manager: SwarmNode;
  /** The manager's engine API on the host: what Pulumi's Docker provider is pointed at. */
  readonly managerHost: string;
  /** Ports the manager node publishes on 127.0.0.1, by container port ("443/tcp"). */
  readonly publishedPorts: Readonly<Record<string, number>>;
}

export interface SwarmOptions {
  /** A short name for this swarm's objects (lower case letters and digits). */
  readonly id: string;
  /** Workers besides the manager. */
  readonly workers: number;
  /** Container ports of the manager node to publish on 127.0.0.1 (nginx's, in host mode). */
  readonly managerPorts?: readonly string[];
  /** Labels per node index (0 is the manager), e.g. { 0: { "dean.data": "true" } }. */
  readonly labels?: Readonly<Record<number, Readonly<Record<string, string>>>>;
}

const host = new Docker();

const nodeName = (id: string, index: number): string => `dean-swarm-${id}-node${index}`;

/** Starts one node container and waits for its engine to answer on the published port. */
async function startNode(options: SwarmOptions, network: string, index: number): Promise<{ name: string; address: string; engine: Docker }> {
  const name = nodeName(options.id, index);
  const ports = [ENGINE_PORT, ...(index === 0 ? options.managerPorts ?? [] : [])];
  const container = await host.createContainer({
    name,
    Image: SWARM_NODE_IMAGE,
    Hostname: name,
    Labels: { [HARNESS_LABEL]: options.id },
    ExposedPorts: Object.fromEntries(ports.map((port) => [port, {}])),
    HostConfig: {
      ...NODE_HOST_CONFIG,
      NetworkMode: network,
      Mounts: [{ Type: "volume", Source: `${name}-docker`, Target: "/var/lib/docker" }],
      PortBindings: Object.fromEntries(ports.map((port) => [port, [{ HostIp: "127.0.0.1", HostPort: "" }]])),
    },
  });
  await container.start();
  const inspected = await container.inspect();
  const address = inspected.NetworkSettings.Networks[network]?.IPAddress;
  const enginePort = inspected.NetworkSettings.Ports[ENGINE_PORT]?.[0]?.HostPort;
  if (!address || !enginePort) throw new Error(`${name}: no address on ${network} or no published engine port`);
  const engine = new Docker({ host: "127.0.0.1", port: Number(enginePort) });
  await waitFor(`${name}'s engine`, async () => ((await engine.ping()) ? true : undefined), NODE_READY_MS, 200);
  return { name, address, engine };
}

/**
 * A swarm of Docker-in-Docker nodes on a private bridge: one manager and `workers` workers,
 * each its own dockerd (images/swarm-node). Every engine API is published on 127.0.0.1 only.
 */
export async function startSwarm(options: SwarmOptions): Promise<TestSwarm> {
  const network = `dean-swarm-${options.id}`;
  await host.createNetwork({ Name: network, Driver: "bridge", Labels: { [HARNESS_LABEL]: options.id } });
  const started = await Promise.all(Array.from({ length: options.workers + 1 }, (_, index) => startNode(options, network, index)));
  const [managerNode, ...workerNodes] = started;

  await managerNode.engine.swarmInit({ ListenAddr: "0.0.0.0:2377", AdvertiseAddr: managerNode.address });
  const swarm = (await managerNode.engine.swarmInspect()) as { JoinTokens: { Worker: string } };
  await Promise.all(workerNodes.map((node) =>
    node.engine.swarmJoin({ ListenAddr: "0.0.0.0:2377", AdvertiseAddr: node.address, RemoteAddrs: [`${managerNode.address}:2377`], JoinToken: swarm.JoinTokens.Worker }),
  ));

  const nodes: SwarmNode[] = [];
  for (const [index, node] of started.entries()) {
    const info = (await node.engine.info()) as { Swarm: { NodeID: string; LocalNodeState: string } };
    if (info.Swarm.LocalNodeState !== "active") throw new Error(`${node.name} is not an active swarm node (${info.Swarm.LocalNodeState})`);
    nodes.push({ ...node, role: index === 0 ? "manager" : "worker", nodeId: info.Swarm.NodeID });
    const labels = options.labels?.[index];
    if (labels) await labelNode(managerNode.engine, info.Swarm.NodeID, labels);
  }

  const managerPorts = (await host.getContainer(managerNode.name).inspect()).NetworkSettings.Ports;
  const publishedPorts = Object.fromEntries(
    (options.managerPorts ?? []).map((port) => [port, Number(managerPorts[port]?.[0]?.HostPort)]),
  );
  const managerEnginePort = Number(managerPorts[ENGINE_PORT]?.[0]?.HostPort);
  return { id: options.id, network, nodes, manager: nodes[0], managerHost: `tcp://127.0.0.1:${managerEnginePort}`, publishedPorts };
}

/** Adds `labels` to a node's spec (placement constraints read them). */
async function labelNode(manager: Docker, nodeId: string, labels: Readonly<Record<string, string>>): Promise<void> {
  const node = manager.getNode(nodeId);
  const current = (await node.inspect()) as { Version: { Index: number }; Spec: { Labels?: Record<string, string> } & Record<string, unknown> };
  await node.update({ version: current.Version.Index, ...current.Spec, Labels: { ...current.Spec.Labels, ...labels } });
}

/** Copies host images into every node (there is no registry): `docker save` piped into each node's `docker load`. */
export async function loadImages(swarm: TestSwarm, images: readonly string[]): Promise<void> {
  for (const node of swarm.nodes) {
    for (const image of images) {
      const tar = await host.getImage(image).get();
      const response = await node.engine.loadImage(tar, { quiet: true });
      await new Promise<void>((resolve, reject) => {
        response.on("end", () => resolve());
        response.on("error", reject);
        response.resume();
      });
      await node.engine.getImage(image).inspect();
    }
  }
}

/** The node containers, the bridge and the nodes' engine volumes of every swarm this harness started with `id`. */
export async function removeSwarm(id: string): Promise<void> {
  const filters = { label: [`${HARNESS_LABEL}=${id}`] };
  for (const info of await host.listContainers({ all: true, filters })) {
    await host.getContainer(info.Id).remove({ force: true, v: true });
  }
  for (const volume of (await host.listVolumes()).Volumes ?? []) {
    if (volume.Name.startsWith(`dean-swarm-${id}-node`)) await host.getVolume(volume.Name).remove({ force: true });
  }
  for (const info of await host.listNetworks({ filters })) {
    await host.getNetwork(info.Id).remove();
  }
}

/** Stops a node as a crash would (its container killed), so the manager marks it down. */
export async function killNode(node: SwarmNode): Promise<void> {
  await host.getContainer(node.name).kill();
}
