import type { ResourceValidationPolicy } from "@pulumi/policy";
import { normalisePath, unreadablePathReason, within } from "../lib/host-paths";
import { asList, asRecord, asString, CONTAINER, describe } from "../lib/resources";
import { configSchema, readSettings, type Settings, type SettingValues } from "../lib/settings";

const settings = {
  dockerSocketPaths: {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: ["/var/run/docker.sock", "/run/docker.sock"],
    description: "Host paths of the Docker API socket; mounting one (or a directory above it) hands out root on the host.",
  },
  forbiddenHostPaths: {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: ["/proc", "/sys", "/dev", "/boot", "/run", "/var/run", "/var/lib/docker", "/var/lib/containerd", "/etc/docker", "/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/sudoers.d", "/etc/ssh", "/root"],
    description: "Host trees never mounted, nor any directory above them: kernel interfaces, boot files, runtime sockets, Docker's state, host credentials.",
  },
  systemDirectories: {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: ["/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/var", "/var/lib", "/home", "/tmp"],
    description: "System directories never mounted whole (a file inside, such as a certificate under /etc/letsencrypt, may be mounted read-only).",
  },
  readOnlyHostTrees: {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: ["/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/var/lib"],
    description: "Host trees of the system's software and state: anything inside is mounted read-only or not at all.",
  },
  maxHostPathLength: { type: "integer", minimum: 1, default: 1024, description: "Longest host path a mount may name." },
} as const satisfies Settings;

type HostAccessSettings = SettingValues<typeof settings>;

/** Capabilities that amount to running privileged. */
const PRIVILEGED_CAPABILITIES = ["ALL", "SYS_ADMIN", "CAP_SYS_ADMIN"];

interface HostMount {
  readonly path: string;
  readonly readOnly: boolean;
}

/** Host paths a container mounts, from both `volumes` and bind `mounts`. */
function hostMounts(props: Readonly<Record<string, unknown>>): HostMount[] {
  const fromVolumes = asList(props.volumes).map((entry) => asRecord(entry))
    .map((volume) => ({ path: asString(volume?.hostPath), readOnly: volume?.readOnly === true }));
  const fromMounts = asList(props.mounts).map((entry) => asRecord(entry)).filter((mount) => asString(mount?.type) === "bind")
    .map((mount) => ({ path: asString(mount?.source), readOnly: mount?.readOnly === true }));
  return [...fromVolumes, ...fromMounts].filter((mount): mount is HostMount => mount.path !== undefined && mount.path !== "");
}

/** What is wrong with mounting `mount`, compared in normalised form; undefined when nothing is. */
function mountProblem(mount: HostMount, config: HostAccessSettings): string | undefined {
  const unreadable = unreadablePathReason(mount.path, config.maxHostPathLength);
  if (unreadable) return `it mounts a host path that cannot be checked: ${unreadable}`;
  const path = normalisePath(mount.path);
  const shown = path === mount.path ? path : `${mount.path} (that is ${path})`;
  if (path === "/") return `it mounts ${shown}, the host's root directory`;
  const socket = config.dockerSocketPaths.find((candidate) => within(normalisePath(candidate), path));
  if (socket) return `it mounts ${shown}, exposing the Docker socket ${socket}`;
  if (config.systemDirectories.includes(path)) return `it mounts ${shown}, a whole system directory`;
  const forbidden = config.forbiddenHostPaths.find((tree) => within(path, tree) || within(tree, path));
  if (forbidden) return `it mounts ${shown}, ${within(path, forbidden) ? "inside" : "which holds"} ${forbidden}`;
  const system = config.readOnlyHostTrees.find((tree) => within(path, tree));
  if (system && !mount.readOnly) return `it mounts ${shown} writable, inside the system tree ${system}`;
  return undefined;
}

/** Each of these gives a container the host: privileged mode, host namespaces, the Docker socket, system paths. */
export const noHostAccess: ResourceValidationPolicy = {
  name: "no-host-access",
  description: "No privileged containers, no host network (or other host namespaces), no Docker socket and no host system paths mounted.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: configSchema(settings),
  remediationSteps: "Drop `privileged`, `networkMode: host` and similar, and any mount of the Docker socket or a host system path; give the container only the capabilities and files it needs.",
  validateResource: (args, reportViolation) => {
    if (args.type !== CONTAINER) return;
    const config = readSettings(settings, args.getConfig());
    const problems: string[] = [];
    if (args.props.privileged === true) problems.push("it is privileged");
    for (const mode of ["networkMode", "pidMode", "ipcMode", "usernsMode"]) {
      if (asString(args.props[mode]) === "host") problems.push(`\`${mode}: host\` shares the host's namespace`);
    }
    const added = asList(asRecord(args.props.capabilities)?.adds).map((capability) => String(capability).toUpperCase());
    const dangerous = added.filter((capability) => PRIVILEGED_CAPABILITIES.includes(capability));
    if (dangerous.length > 0) problems.push(`it adds ${dangerous.join(", ")}, which is as good as privileged`);
    for (const mount of hostMounts(args.props)) {
      const problem = mountProblem(mount, config);
      if (problem) problems.push(problem);
    }
    if (problems.length > 0) {
      reportViolation(`${describe(args)}: ${problems.join("; ")}. Fix: remove them; the stack's services need none of them.`);
    }
  },
};
