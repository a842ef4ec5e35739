import { hasControlCharacter } from "./control-characters";

/**
 * Paths on the Docker host that config may mount into a container: the TLS files
 * (`dean:nginx.tls.certificatePath`, `keyPath`, read-only) and the backup directory
 * (`dean:backup.hostPath`, read-write). A mount hands the container whatever the path names, so
 * `/var//run/docker.sock` (root on the host) or `/.` (the whole host, writable) must be refused
 * however it is spelt: paths are normalised first, then checked. The policy pack's
 * `no-host-access` rule applies the same limits to every mount the plan contains.
 *
 * What config cannot see is the host's file system: a symlink such as /backups -> /etc is
 * followed by Docker. `..` is refused for that reason (it means another place once a symlink is
 * followed), and the rest is the operator's to keep sane on the host.
 */

/** Longer than any real location, and longer than Docker's API and nginx are comfortable with. */
export const MAX_HOST_PATH_LENGTH = 1024;

export type HostPathAccess = "read-only" | "read-write";

/**
 * Never mounted, nor any directory above them (so never `/`): the kernel's interfaces, the
 * boot files, the runtime directories with the Docker and containerd sockets, Docker's own
 * state, and the host's credentials.
 */
export const NEVER_MOUNTED = [
  "/proc", "/sys", "/dev", "/boot", "/run", "/var/run", "/var/lib/docker", "/var/lib/containerd", "/etc/docker",
  "/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/sudoers.d", "/etc/ssh", "/root",
] as const;

/**
 * System directories: a file inside may be mounted read-only (certbot keeps certificates in
 * /etc/letsencrypt), the directory itself never, since it holds far more than the service needs.
 */
export const SYSTEM_DIRECTORIES = ["/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/var", "/var/lib", "/home", "/tmp"] as const;

/** Where the host's software and its state live: a container never writes there. */
export const SYSTEM_TREES = ["/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/var/lib"] as const;

/** `/var//run/./docker.sock/` -> `/var/run/docker.sock`: repeated slashes, `.` and a trailing slash removed. */
export function normaliseHostPath(path: string): string {
  const segments = path.split("/").filter((segment) => segment !== "" && segment !== ".");
  return `/${segments.join("/")}`;
}

/** True when `path` is `tree` or lies inside it. */
export function isWithin(path: string, tree: string): boolean {
  return path === tree || tree === "/" || path.startsWith(`${tree}/`);
}

function syntaxProblem(path: string): string | undefined {
  if (path.length > MAX_HOST_PATH_LENGTH) return `must be at most ${MAX_HOST_PATH_LENGTH} characters`;
  if (!path.startsWith("/")) return "must be an absolute path on the Docker host";
  if (hasControlCharacter(path)) return "must not contain control characters";
  if (/\s/.test(path)) return "must not contain whitespace";
  if (path.includes(":")) return "must not contain `:` (Docker reads it as the separator of host path, container path and mode)";
  if (path.split("/").includes("..")) return "must not contain `..` (it names another place once a symlink on the host is followed); write the path itself";
  return undefined;
}

function locationProblem(normal: string, access: HostPathAccess): string | undefined {
  if (normal === "/") return "must not be the host's root directory";
  if ((SYSTEM_DIRECTORIES as readonly string[]).includes(normal)) return `must not be the system directory ${normal} itself; name a file or directory inside it`;
  const inside = NEVER_MOUNTED.find((tree) => isWithin(normal, tree));
  if (inside) return `must not be ${inside} or anything inside it (kernel interfaces, boot files, runtime sockets, Docker's state and host credentials are never mounted)`;
  const contained = NEVER_MOUNTED.find((tree) => isWithin(tree, normal));
  if (contained) return `must not be ${normal}, which holds ${contained}`;
  const system = SYSTEM_TREES.find((tree) => isWithin(normal, tree));
  if (access === "read-write" && system) return `must not be inside ${system}: the container writes there, and ${system} belongs to the host's system`;
  return undefined;
}

/**
 * Why `path` may not be mounted with `access`, as a "must ..." phrase naming the normalised
 * form when it differs; undefined when it may.
 */
export function hostPathProblem(path: string, access: HostPathAccess): string | undefined {
  const syntax = syntaxProblem(path);
  if (syntax) return syntax;
  const normal = normaliseHostPath(path);
  const location = locationProblem(normal, access);
  if (!location) return undefined;
  return normal === path ? location : `${location} (${JSON.stringify(path)} is ${normal})`;
}
