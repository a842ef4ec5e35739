import { redisQuote } from "./redis-conf";

/**
 * Redis credentials without a password in the container's definition.
 *
 * Users live in an ACL file on the data volume. The application uses Redis' `default` user;
 * a rotation first adds the new password beside the old one (both valid while replicas are
 * replaced), then, once every replica runs with the new one, removes the old. The container
 * never changes for it, so Redis stays up. The ACL commands need an authenticated
 * connection whatever the application password is: a `dean-admin` user whose password is
 * generated inside the container on first start and never leaves the data volume (Docker
 * access to the host is root on it anyway), the way Postgres trusts its local socket.
 */

/** The admin user: the healthcheck, the ACL changes and operators' `dean-redis-cli`. */
export const REDIS_ADMIN_USER = "dean-admin";

/** Where the wrappers and the start script find the state on the data volume. */
export interface RedisCredentialPaths {
  /** Directory on the data volume holding the ACL file and the admin password. */
  readonly stateDir: string;
  /** TCP port redis-server listens on (the wrappers connect to 127.0.0.1). */
  readonly port: number;
  /** Path of the `dean-redis-cli` wrapper, which `dean-redis-acl` runs. */
  readonly cliPath: string;
}

export const aclFileIn = (stateDir: string): string => `${stateDir}/users.acl`;
const adminPasswordIn = (stateDir: string): string => `${stateDir}/admin.password`;

/** The application user before its first password: it can neither log in nor run anything. */
const DEFAULT_USER_LOCKED = "user default off resetpass resetkeys resetchannels -@all";

/**
 * Runs as root before redis-server (then `exec`s its arguments, the image's entrypoint):
 * generates the admin password once, writes the admin user's line (a SHA-256 hash, never the
 * password) into the ACL file, and keeps every other line as the last `ACL SAVE` left it.
 * An ACL file without a `default` line would give Redis a default user without password,
 * so one that cannot log in is added. The image's entrypoint then gives /data to redis.
 */
export function renderRedisStartScript(paths: RedisCredentialPaths): string {
  const acl = aclFileIn(paths.stateDir);
  const password = adminPasswordIn(paths.stateDir);
  return `#!/bin/sh
# Rendered by dean-infra (components/render/redis-credentials.ts).
set -eu
umask 077
mkdir -p '${paths.stateDir}'
if [ ! -s '${password}' ]; then
  od -An -tx1 -N32 /dev/urandom | tr -d ' \\n' > '${password}.new'
  mv '${password}.new' '${password}'
fi
touch '${acl}'
grep -v '^user ${REDIS_ADMIN_USER} ' '${acl}' > '${acl}.new' || true
grep -q '^user default ' '${acl}.new' || echo '${DEFAULT_USER_LOCKED}' >> '${acl}.new'
hash=$(tr -d '\\n' < '${password}' | sha256sum | cut -d' ' -f1)
echo "user ${REDIS_ADMIN_USER} on #$hash ~* &* +@all" >> '${acl}.new'
mv '${acl}.new' '${acl}'
exec "$@"
`;
}

/**
 * `dean-redis-cli`: redis-cli as the admin user. redis-cli reads the password from
 * REDISCLI_AUTH, so it is on no command line; operators use it like redis-cli.
 */
export function renderRedisCliWrapper(paths: RedisCredentialPaths): string {
  const password = adminPasswordIn(paths.stateDir);
  return `#!/bin/sh
# Rendered by dean-infra (components/render/redis-credentials.ts): redis-cli as ${REDIS_ADMIN_USER}.
set -eu
REDISCLI_AUTH=$(cat '${password}')
export REDISCLI_AUTH
exec redis-cli --user ${REDIS_ADMIN_USER} -h 127.0.0.1 -p ${paths.port} "$@"
`;
}

/**
 * `dean-redis-acl`: applies the commands on stdin (they carry a password, so they never go on
 * a command line) and succeeds only if Redis answered OK to every one. The replies are not
 * shown: an error may quote the password back.
 */
export function renderRedisAclApplier(paths: RedisCredentialPaths): string {
  return `#!/bin/sh
# Rendered by dean-infra (components/render/redis-credentials.ts).
set -eu
commands=$(cat)
expected=$(printf '%s\\n' "$commands" | grep -c . || true)
if [ "$expected" -eq 0 ]; then echo "dean-redis-acl: no ACL commands on stdin" >&2; exit 1; fi
replies=$(printf '%s\\n' "$commands" | '${paths.cliPath}') || { echo "dean-redis-acl: redis-cli failed" >&2; exit 1; }
accepted=$(printf '%s\\n' "$replies" | grep -cx OK || true)
if [ "$accepted" -ne "$expected" ]; then
  echo "dean-redis-acl: Redis accepted $accepted of $expected ACL commands (the replies are withheld: they may quote a password)" >&2
  exit 1
fi
`;
}

function requirePassword(password: string): void {
  if (password.length === 0) throw new Error("the Redis password must not be empty");
}

/**
 * What the application may do: every key and channel, every command but Redis' dangerous
 * category (FLUSHALL, FLUSHDB, CONFIG, DEBUG, KEYS, SHUTDOWN, MONITOR, SAVE, REPLICAOF,
 * MIGRATE, ACL, ...), which only the admin user (operators, the logout step) keeps. INFO is
 * given back: it is read-only and client libraries use it to check a connection is ready.
 */
export const APPLICATION_RULES = ["on", "~*", "&*", "+@all", "-@dangerous", "+info"].join(" ");

/** Adds `password` to the application user and keeps the ones it has: both work meanwhile. */
export function aclAddPassword(password: string): string {
  requirePassword(password);
  return `ACL SETUSER default ${APPLICATION_RULES} ${redisQuote(`>${password}`)}\nACL SAVE\n`;
}

/** Leaves `password` the application user's only one. */
export function aclKeepOnlyPassword(password: string): string {
  requirePassword(password);
  return `ACL SETUSER default ${APPLICATION_RULES} resetpass ${redisQuote(`>${password}`)}\nACL SAVE\n`;
}
