/**
 * nginx's configuration as releases on a volume, so a change reloads nginx instead of
 * replacing its container.
 *
 * The release script writes a candidate (nginx.conf, the upstream's servers, the maintenance
 * page, TLS material from stdin) beside the live one and has `nginx -t` check it; a refused candidate is deleted.
 * nginx is started with `-c <root>/current/nginx.conf`; nginx.conf names its TLS files
 * relative to its own directory (nginx resolves them against the directory of the file given
 * to -c), so the candidate is checked with its own files. The switch script, run in the nginx
 * container, points the `current` symlink at the release, signals the master and waits for
 * new workers: nginx keeps the previous configuration, and starts no new workers, when it
 * cannot load the new one (a port it cannot bind, a file gone since the check). Then the
 * symlink goes back to the previous release, so a restart brings up what is serving.
 */

import { UPSTREAM_SERVERS_FILE } from "./nginx-conf";

/** The environment variables the release script reads its files from (plain text, no secret). */
export const NGINX_CONF_VARIABLE = "DEAN_NGINX_CONF";
export const MAINTENANCE_PAGE_VARIABLE = "DEAN_MAINTENANCE_PAGE";
/** The upstream's servers (renderUpstreamServers), beside nginx.conf, which includes them. */
export const UPSTREAM_SERVERS_VARIABLE = "DEAN_NGINX_UPSTREAM_SERVERS";

/** Releases kept besides the live one and the newest, for a look at what changed. */
const KEPT_PREVIOUS_RELEASES = 2;

/** Paths of a release, relative to the nginx.conf of that release. */
export const RELEASE_TLS_CERTIFICATE = "tls/fullchain.pem";
export const RELEASE_TLS_KEY = "tls/privkey.pem";

/** The live release's maintenance page directory under `root`. */
export const currentMaintenanceDir = (root: string): string => `${root}/current/maintenance`;
export const currentConfPath = (root: string): string => `${root}/current/nginx.conf`;

/**
 * Run as root with `root` writable, nginx on PATH, the files in the environment and the TLS
 * certificate chain and key (PEM, either order; empty when the certificate is a host file)
 * on stdin. Prints the release ID (a hash of its files). A candidate nginx -t refuses is
 * deleted; `current` is set only when there is none yet (a first deploy: nginx starts from
 * it), otherwise the switch script moves it.
 */
export function renderNginxReleaseScript(root: string): string {
  return `set -eu
umask 022
root='${root}'
mkdir -p "$root/releases"
stage=$(mktemp -d "$root/releases/.stage-XXXXXX")
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage"
printf '%s' "$${NGINX_CONF_VARIABLE}" > "$stage/nginx.conf"
printf '%s' "$${UPSTREAM_SERVERS_VARIABLE}" > "$stage/${UPSTREAM_SERVERS_FILE}"
mkdir "$stage/maintenance"
printf '%s' "$${MAINTENANCE_PAGE_VARIABLE}" > "$stage/maintenance/maintenance.html"
tls=$(cat)
if [ -n "$tls" ]; then
  mkdir "$stage/tls"
  printf '%s\\n' "$tls" | sed -n '/^-----BEGIN CERTIFICATE-----$/,/^-----END CERTIFICATE-----$/p' > "$stage/${RELEASE_TLS_CERTIFICATE}"
  (umask 077; printf '%s\\n' "$tls" | sed -n '/^-----BEGIN [A-Z ]*PRIVATE KEY-----$/,/^-----END [A-Z ]*PRIVATE KEY-----$/p' > "$stage/${RELEASE_TLS_KEY}")
fi
if ! report=$(nginx -t -q -c "$stage/nginx.conf" 2>&1); then
  echo "nginx -t refused the new configuration; the running one is unchanged:" >&2
  printf '%s\\n' "$report" >&2
  exit 1
fi
id=$(cd "$stage" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
if [ -d "$root/releases/$id" ]; then rm -rf "$stage"; else mv "$stage" "$root/releases/$id"; fi
trap - EXIT
if [ ! -e "$root/current" ]; then
  ln -sfn "releases/$id" "$root/.current.next"
  mv -T "$root/.current.next" "$root/current"
fi
live=$(basename "$(readlink "$root/current")")
ls -1t "$root/releases" | grep -vxF -e "$id" -e "$live" | tail -n +${KEPT_PREVIOUS_RELEASES + 1} | while read -r old; do rm -rf "$root/releases/$old"; done
echo "$id"
`;
}

/**
 * Run inside the nginx container (as root) with the release ID as $1: points `current` at it,
 * sends SIGHUP to the master and succeeds once the master has a worker it did not have
 * before (it starts them only after loading the new configuration) and the old workers are
 * shutting down. Bounded: after 10 s the previous release is put back (and reloaded) and the
 * script exits 1. Once loaded it waits (up to OLD_WORKERS_WAIT_SECONDS) for the old workers to
 * exit, which they do when the requests they hold are answered and their kept client
 * connections closed (keepalive_min_timeout): until then they proxy with the old configuration,
 * so what follows the reload in an update (stopping replicas left out of the release) waits.
 */
/**
 * How long the switch waits for the old workers. Longer than CLIENT_KEEPALIVE_MIN_SECONDS and the
 * usual request; a request slower than this (up to proxy_read_timeout) is left to finish.
 */
export const OLD_WORKERS_WAIT_SECONDS = 20;

export function renderNginxSwitchScript(root: string, masterPid: string): string {
  return `set -eu
root='${root}'
master='${masterPid}'
id=$1
[ -d "$root/releases/$id" ] || { echo "no nginx configuration release $id in $root/releases" >&2; exit 1; }
workers() {
  for stat in /proc/[0-9]*/stat; do
    read -r pid comm state ppid rest 2>/dev/null < "$stat" || continue
    [ "$ppid" = "$master" ] && echo " $pid "
  done
  return 0
}
point_at() {
  ln -sfn "releases/$1" "$root/.current.next"
  mv -T "$root/.current.next" "$root/current"
}
# Loaded: a worker the master did not have before, and every old worker gone or shutting
# down (which closes its listening sockets, so no new connection reaches the old config).
loaded() {
  fresh=no
  for pid in $(workers); do
    case "$1" in
      *" $pid "*)
        title=$(tr '\\000' ' ' 2>/dev/null < "/proc/$pid/cmdline" || true)
        case "$title" in *"shutting down"*) ;; *) return 1 ;; esac
        ;;
      *) fresh=yes ;;
    esac
  done
  [ "$fresh" = yes ]
}
reloaded() {
  before=$(workers)
  kill -HUP "$master"
  tries=0
  while [ "$tries" -lt 100 ]; do
    loaded "$before" && return 0
    tries=$((tries + 1))
    sleep 0.1
  done
  return 1
}
# Drained: none of the workers from before the reload is left.
drained() {
  tries=0
  while [ "$tries" -lt ${OLD_WORKERS_WAIT_SECONDS * 10} ]; do
    left=no
    for pid in $(workers); do
      case "$before" in *" $pid "*) left=yes ;; esac
    done
    [ "$left" = no ] && return 0
    tries=$((tries + 1))
    sleep 0.1
  done
  return 1
}
previous=$(basename "$(readlink "$root/current")")
point_at "$id"
if reloaded; then
  drained || echo "nginx serves release $id; some old workers were still answering requests after ${OLD_WORKERS_WAIT_SECONDS} s" >&2
  exit 0
fi
if [ "$previous" != "$id" ]; then
  point_at "$previous"
  reloaded || true
  echo "nginx did not load configuration release $id within 10 s and goes on serving release $previous; its log (docker logs) names the cause" >&2
else
  echo "nginx did not reload configuration release $id within 10 s; its log (docker logs) names the cause" >&2
fi
exit 1
`;
}
