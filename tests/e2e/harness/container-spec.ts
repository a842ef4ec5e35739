import type Dockerode from "dockerode";
import { goDurationNanoseconds } from "./durations";
import { InputReader } from "./inputs";
import type { Registration } from "./resource";

/**
 * docker:index/container:Container inputs -> Engine API requests, the way the Docker provider
 * maps them (terraform-provider-docker's resourceDockerContainerCreate). Only the fields the
 * program uses are accepted; each unit conversion is the provider's (MiB -> bytes, Go duration
 * -> ns, cpus -> NanoCpus).
 */

export const CONTAINER = "docker:index/container:Container";

const CONTAINER_KEYS = [
  "name", "image", "command", "envs", "labels", "restart", "cpus", "cpuShares", "memory", "memoryReservation",
  "memorySwap", "logDriver", "logOpts", "securityOpts", "capabilities", "ports", "volumes", "networksAdvanced",
  "healthcheck", "uploads", "shmSize", "stopSignal", "stopTimeout", "destroyGraceSeconds", "mustRun", "wait", "waitTimeout",
] as const;

const MIB = 1024 * 1024;
/** The provider's defaults for `wait_timeout` (seconds) and `must_run`. */
const DEFAULT_WAIT_TIMEOUT_SECONDS = 60;

export interface NetworkAttachment {
  readonly name: string;
  readonly aliases: string[];
}

export interface ContainerUpload {
  readonly file: string;
  readonly content: Buffer;
  readonly mode: number;
}

/** Everything needed to create, wire, fill and start one container. */
export interface ContainerSpec {
  /** Undefined for auto-named resources: the harness names them like Pulumi. */
  readonly name?: string;
  readonly create: Dockerode.ContainerCreateOptions;
  /** Networks beyond the first (which the container is created on), connected before start. */
  readonly extraNetworks: NetworkAttachment[];
  readonly uploads: ContainerUpload[];
  readonly mustRun: boolean;
  readonly wait: boolean;
  readonly waitTimeoutSeconds: number;
  /** Seconds `docker stop` may take before removal; undefined: removed with SIGKILL. */
  readonly destroyGraceSeconds?: number;
}

function mib(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value * MIB;
}

function octalMode(reader: InputReader, key: string): number {
  const text = reader.string(key);
  if (!/^0?[0-7]{3,4}$/.test(text)) throw reader.refuse(key, `must be an octal mode such as "0600" (got ${JSON.stringify(text)})`);
  return parseInt(text, 8);
}

function readUploads(inputs: InputReader): ContainerUpload[] {
  return inputs.blocks("uploads", ["file", "content", "executable", "permissions"]).map((upload) => ({
    file: upload.string("file"),
    content: Buffer.from(upload.string("content"), "utf8"),
    // The provider's modes: `permissions` wins, else 0744 when executable, else 0644.
    mode: upload.has("permissions") ? octalMode(upload, "permissions") : upload.optionalBoolean("executable") ? 0o744 : 0o644,
  }));
}

function readNetworks(inputs: InputReader): NetworkAttachment[] {
  return inputs.blocks("networksAdvanced", ["name", "aliases"]).map((network) => ({
    name: network.string("name"),
    aliases: network.optionalStringArray("aliases"),
  }));
}

function readPorts(inputs: InputReader): Pick<Dockerode.ContainerCreateOptions, "ExposedPorts"> & { bindings: Dockerode.PortMap } {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Dockerode.PortMap = {};
  for (const port of inputs.blocks("ports", ["internal", "external", "ip", "protocol"])) {
    const key = `${port.number("internal")}/${port.optionalString("protocol") ?? "tcp"}`;
    exposed[key] = {};
    const external = port.optionalNumber("external");
    bindings[key] = [...(bindings[key] ?? []), { HostIp: port.optionalString("ip") ?? "0.0.0.0", HostPort: external === undefined ? "" : String(external) }];
  }
  return { ExposedPorts: exposed, bindings };
}

function readBinds(inputs: InputReader): string[] {
  return inputs.blocks("volumes", ["volumeName", "hostPath", "containerPath", "readOnly"]).map((volume, index) => {
    const source = volume.optionalString("volumeName") ?? volume.optionalString("hostPath");
    if (source === undefined || (volume.has("volumeName") && volume.has("hostPath"))) {
      throw volume.refuse(`volumes[${index}]`, "must set exactly one of volumeName and hostPath");
    }
    return `${source}:${volume.string("containerPath")}${volume.optionalBoolean("readOnly") ? ":ro" : ""}`;
  });
}

function readHealthcheck(inputs: InputReader): Dockerode.HealthConfig | undefined {
  if (!inputs.has("healthcheck")) return undefined;
  const health = inputs.block("healthcheck", ["tests", "interval", "timeout", "retries", "startPeriod"]);
  const duration = (key: string): number | undefined => {
    const text = health.optionalString(key);
    if (text === undefined) return undefined;
    try {
      return goDurationNanoseconds(text);
    } catch (error) {
      throw health.refuse(key, error instanceof Error ? error.message : String(error));
    }
  };
  return {
    Test: health.stringArray("tests"),
    Interval: duration("interval"),
    Timeout: duration("timeout"),
    Retries: health.optionalNumber("retries"),
    StartPeriod: duration("startPeriod"),
  };
}

function readCpus(inputs: InputReader): number | undefined {
  const text = inputs.optionalString("cpus");
  if (text === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(text)) throw inputs.refuse("cpus", `must be a decimal number of CPUs (got ${JSON.stringify(text)})`);
  return Math.round(Number(text) * 1e9);
}

/** Maps a Container registration to Engine API requests; throws on any unsupported input. */
export function containerSpec(registration: Registration): ContainerSpec {
  const inputs = InputReader.of(registration.type, registration.name, registration.inputs, CONTAINER_KEYS);
  const networks = readNetworks(inputs);
  const [primary, ...extraNetworks] = networks;
  const ports = readPorts(inputs);
  const labels = Object.fromEntries(inputs.blocks("labels", ["label", "value"]).map((label) => [label.string("label"), label.string("value")]));
  const capabilities = inputs.has("capabilities") ? inputs.block("capabilities", ["adds", "drops"]) : undefined;
  const memorySwap = inputs.optionalNumber("memorySwap");
  const restart = inputs.optionalString("restart") ?? "no";

  const hostConfig: Dockerode.HostConfig = {
    Binds: readBinds(inputs),
    PortBindings: ports.bindings,
    RestartPolicy: { Name: restart },
    NanoCpus: readCpus(inputs),
    CpuShares: inputs.optionalNumber("cpuShares"),
    Memory: mib(inputs.optionalNumber("memory")),
    MemoryReservation: mib(inputs.optionalNumber("memoryReservation")),
    // The provider passes -1 (unlimited swap) through and converts positive values.
    MemorySwap: memorySwap !== undefined && memorySwap > 0 ? memorySwap * MIB : memorySwap,
    ShmSize: mib(inputs.optionalNumber("shmSize")),
    LogConfig: inputs.has("logDriver") ? { Type: inputs.string("logDriver"), Config: inputs.optionalStringMap("logOpts") } : undefined,
    SecurityOpt: inputs.optionalStringArray("securityOpts"),
    CapAdd: capabilities?.optionalStringArray("adds"),
    CapDrop: capabilities?.optionalStringArray("drops"),
    // The first network replaces the default bridge, as the provider's disconnect-from-bridge does.
    NetworkMode: primary?.name,
  };
  if (inputs.has("logOpts") && !inputs.has("logDriver")) throw inputs.refuse("logOpts", "is only supported together with logDriver");

  const create: Dockerode.ContainerCreateOptions = {
    name: inputs.optionalString("name"),
    Image: inputs.string("image"),
    Cmd: inputs.has("command") ? inputs.stringArray("command") : undefined,
    Env: inputs.optionalStringArray("envs"),
    Labels: labels,
    ExposedPorts: ports.ExposedPorts,
    Healthcheck: readHealthcheck(inputs),
    StopSignal: inputs.optionalString("stopSignal"),
    StopTimeout: inputs.optionalNumber("stopTimeout"),
    HostConfig: hostConfig,
    NetworkingConfig: primary ? { EndpointsConfig: { [primary.name]: { Aliases: primary.aliases } } } : undefined,
  };
  return {
    name: inputs.optionalString("name"),
    create,
    extraNetworks,
    uploads: readUploads(inputs),
    mustRun: inputs.optionalBoolean("mustRun") ?? true,
    destroyGraceSeconds: inputs.optionalNumber("destroyGraceSeconds"),
    wait: inputs.optionalBoolean("wait") ?? false,
    waitTimeoutSeconds: inputs.optionalNumber("waitTimeout") ?? DEFAULT_WAIT_TIMEOUT_SECONDS,
  };
}
