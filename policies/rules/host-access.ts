import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asList, asRecord, asString, CONTAINER, describe } from "../lib/resources";
import { configSchema, readSettings, type Settings } from "../lib/settings";

const settings = {
  dockerSocketPaths: {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: ["/var/run/docker.sock", "/run/docker.sock"],
    description: "Host paths of the Docker API socket; mounting one (or a directory above it) hands out root on the host.",
  },
} as const satisfies Settings;

/** Capabilities that amount to running privileged. */
const PRIVILEGED_CAPABILITIES = ["ALL", "SYS_ADMIN", "CAP_SYS_ADMIN"];

function normalize(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

/** The host path exposes a socket when it is the socket or any directory above it. */
function exposesSocket(hostPath: string, sockets: readonly string[]): string | undefined {
  const path = normalize(hostPath);
  return sockets.find((socket) => socket === path || path === "/" || socket.startsWith(`${path}/`));
}

/** Host paths a container mounts, from both `volumes` and bind `mounts`. */
function hostPaths(props: Readonly<Record<string, unknown>>): string[] {
  const fromVolumes = asList(props.volumes).map((volume) => asString(asRecord(volume)?.hostPath));
  const fromMounts = asList(props.mounts).map((mount) => (asString(asRecord(mount)?.type) === "bind" ? asString(asRecord(mount)?.source) : undefined));
  return [...fromVolumes, ...fromMounts].filter((path): path is string => path !== undefined && path !== "");
}

/** Each of these gives a container the host: privileged mode, host namespaces, the Docker socket. */
export const noHostAccess: ResourceValidationPolicy = {
  name: "no-host-access",
  description: "No privileged containers, no host network (or other host namespaces) and no Docker socket mounts.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: configSchema(settings),
  remediationSteps: "Drop `privileged`, `networkMode: host` and similar, and any mount of the Docker socket; give the container only the capabilities it needs.",
  validateResource: (args, reportViolation) => {
    if (args.type !== CONTAINER) return;
    const { dockerSocketPaths } = readSettings(settings, args.getConfig());
    const problems: string[] = [];
    if (args.props.privileged === true) problems.push("it is privileged");
    for (const mode of ["networkMode", "pidMode", "ipcMode", "usernsMode"]) {
      if (asString(args.props[mode]) === "host") problems.push(`\`${mode}: host\` shares the host's namespace`);
    }
    const added = asList(asRecord(args.props.capabilities)?.adds).map((capability) => String(capability).toUpperCase());
    const dangerous = added.filter((capability) => PRIVILEGED_CAPABILITIES.includes(capability));
    if (dangerous.length > 0) problems.push(`it adds ${dangerous.join(", ")}, which is as good as privileged`);
    for (const path of hostPaths(args.props)) {
      const socket = exposesSocket(path, dockerSocketPaths);
      if (socket) problems.push(`it mounts ${path}, exposing the Docker socket ${socket}`);
    }
    if (problems.length > 0) {
      reportViolation(`${describe(args)}: ${problems.join("; ")}. Fix: remove them; the stack's services need none of them.`);
    }
  },
};
