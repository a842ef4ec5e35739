#!/usr/bin/env bash
# Prepares a Debian 12 machine for the integration and e2e tiers (docs/architecture.md, "Testing
# tiers"). Idempotent: every step checks before it acts, so a rerun takes seconds.
#
#  1. Installs the Debian packages the tests use, only those missing, and makes sure the
#     packaged nginx / redis-server / postgresql services are not left running (the tests
#     start their own instances on loopback ports).
#  2. Starts dockerd (Debian's docker.io) when no daemon answers, in the background, with
#     its PID in $DEAN_DOCKERD_PIDFILE (scripts/stop-test-host.sh stops exactly that one).
#  3. Builds the local images from Debian packages (no registry is reachable), each cached
#     by a content hash of its build directory stored in the image label dean.build-hash:
#        dean-local/debian:bookworm            debootstrap --variant=minbase + docker import
#        dean-local/debian:sid                 the same from Debian's sid suite
#        dean-local/postgres:15                images/postgres
#        dean-local/redis:7                    images/redis
#        dean-local/nginx:sid                  images/nginx: sid's nginx (1.30), because the
#                                              rendered config needs 1.27.4 or later
#        dean-local/orchestrator:1.0.0, 1.0.1  images/orchestrator (DEAN_VERSION build arg), and
#        1.0.2 to 1.0.5 (no new migration) that the availability benchmark upgrades to
#        dean-local/swarm-node:1               images/swarm-node: Debian's docker.io, a node of the
#                                              swarm tier's Docker-in-Docker swarm
#     and copies that image's nginx (binary, its shared libraries and their loader) to
#     $DEAN_TEST_NGINX_DIR, where the integration tier runs it on the host: the very nginx of
#     the image, without Debian 12's nginx 1.22, which cannot load the rendered config.
#  4. Checks the Docker networking the program relies on: names resolve on user-defined and
#     internal networks, and a port published on 127.0.0.1 answers from the host.
#
# Environment: DEAN_DOCKERD_PIDFILE (/run/dean-test-dockerd.pid), DEAN_DOCKERD_LOG
# (/var/log/dean-test-dockerd.log), DEAN_BUILD_LOG_DIR (/var/log/dean-test-images),
# DEAN_TEST_NGINX_DIR (/var/cache/dean-test-nginx), DEAN_FORCE_REBUILD=1 rebuilds every image.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGES_DIR="$ROOT/images"
DOCKERD_PIDFILE="${DEAN_DOCKERD_PIDFILE:-/run/dean-test-dockerd.pid}"
DOCKERD_LOG="${DEAN_DOCKERD_LOG:-/var/log/dean-test-dockerd.log}"
BUILD_LOG_DIR="${DEAN_BUILD_LOG_DIR:-/var/log/dean-test-images}"
DEBOOTSTRAP_CACHE=/var/cache/dean-debootstrap
TEST_NGINX_DIR="${DEAN_TEST_NGINX_DIR:-/var/cache/dean-test-nginx}"
TEST_NGINX_IMAGE=dean-local/nginx:sid
DOCKERD_WAIT_SECONDS=60
HASH_LABEL=dean.build-hash
SELF_CHECK_LABEL=dean.test=setup-self-check
BASE_TAG=dean-local/debian:bookworm
# Bumped when the base recipe in this script changes (the overlay files are hashed anyway).
BASE_RECIPE=1

# What deploying the stack needs (the engine, the image builds, dev TLS), and what the test
# tiers need on top (redis-server and PostgreSQL they run on loopback; nginx-common for
# /etc/nginx/mime.types, which the rendered config includes: the nginx they run is the image's).
DEPLOY_PACKAGES=(docker.io debootstrap openssl iproute2 curl ca-certificates)
TEST_PACKAGES=(nginx-common redis-server postgresql postgresql-contrib shellcheck)
REQUIRED_PACKAGES=("${DEPLOY_PACKAGES[@]}" "${TEST_PACKAGES[@]}")
# Packages whose services Debian starts on install; the tests run their own instances.
PACKAGED_SERVICES=(nginx redis-server postgresql)

# The classic builder resolves `FROM dean-local/...` from the local image store without
# asking a registry, and behaves the same with Debian's docker 20.10 CLI and with newer
# CLIs that have no buildx plugin.
export DOCKER_BUILDKIT=0
export DEBIAN_FRONTEND=noninteractive

log() { printf '[setup-test-host] %s\n' "$*"; }
fail() {
	printf '[setup-test-host] ERROR: %s\n' "$*" >&2
	exit 1
}
trap 'fail "command failed (line $LINENO, exit $?): $BASH_COMMAND"' ERR

CLEANUPS=()
run_cleanups() {
	local index
	for ((index = ${#CLEANUPS[@]} - 1; index >= 0; index--)); do
		eval "${CLEANUPS[index]}" || true
	done
}
trap run_cleanups EXIT

declare -A STEP_SECONDS=()
declare -A BASE_HASHES=()
SUMMARY=()

# --- 1. Debian packages ---------------------------------------------------------------

package_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

install_packages() {
	local missing=() package
	for package in "${REQUIRED_PACKAGES[@]}"; do
		package_installed "$package" || missing+=("$package")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		log "packages: all present (${REQUIRED_PACKAGES[*]})"
		return
	fi
	log "packages: installing ${missing[*]}"
	# No service may start while packages are installed (there is often no init system;
	# the tests start their own nginx, redis and postgres); an existing policy is kept.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\n# Temporary, from scripts/setup-test-host.sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		CLEANUPS+=("rm -f /usr/sbin/policy-rc.d")
	fi
	apt-get update -q || fail "apt-get update failed"
	apt-get install -y -q --no-install-recommends "${missing[@]}" || fail "apt-get install ${missing[*]} failed"
	for package in "${missing[@]}"; do
		package_installed "$package" || fail "package $package is still not installed"
	done
}

have_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

stop_packaged_services() {
	local service
	for service in "${PACKAGED_SERVICES[@]}"; do
		if have_systemd; then
			if systemctl is-enabled --quiet "$service" 2>/dev/null || systemctl is-active --quiet "$service" 2>/dev/null; then
				log "services: stopping and disabling the packaged $service"
				systemctl disable --now "$service" >/dev/null 2>&1 || fail "could not stop $service (systemctl disable --now $service)"
			fi
		elif [ -x "/etc/init.d/$service" ]; then
			if service "$service" status >/dev/null 2>&1; then
				log "services: stopping the packaged $service"
				service "$service" stop >/dev/null 2>&1 || fail "could not stop $service (service $service stop)"
			fi
			update-rc.d "$service" disable >/dev/null 2>&1 || true
		fi
	done
	# The postgresql service wraps clusters; make sure none of them is left online.
	if command -v pg_lsclusters >/dev/null 2>&1; then
		local version cluster _port status _rest
		while read -r version cluster _port status _rest; do
			if [ "$status" = online ]; then
				log "services: stopping the packaged postgresql cluster $version/$cluster"
				pg_ctlcluster "$version" "$cluster" stop || fail "could not stop postgresql cluster $version/$cluster"
			fi
		done < <(pg_lsclusters --no-header 2>/dev/null || true)
	fi
}

# --- 2. dockerd -------------------------------------------------------------------------

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

pid_is_dockerd() { [ -n "${1:-}" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = dockerd ]; }

IPTABLES_BACKEND=default

# Waits until the daemon answers, or fails early when the process we started has died.
wait_for_docker() {
	local pid="$1" deadline=$((SECONDS + DOCKERD_WAIT_SECONDS))
	while ((SECONDS < deadline)); do
		docker_answers && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 1
	done
	return 1
}

launch_dockerd() {
	local path="$PATH"
	if [ "$IPTABLES_BACKEND" = legacy ]; then
		path="$(legacy_iptables_dir):$PATH"
	fi
	mkdir -p "$(dirname "$DOCKERD_LOG")" "$(dirname "$DOCKERD_PIDFILE")"
	printf '\n=== %s: dockerd (iptables %s) %s\n' "$(date -u '+%F %T')" "$IPTABLES_BACKEND" "$*" >> "$DOCKERD_LOG"
	# Its own session, so the daemon outlives this script and a CI step's process group.
	# dockerd writes (and removes on exit) the pidfile itself: it always holds the daemon's PID.
	PATH="$path" setsid dockerd --pidfile "$DOCKERD_PIDFILE" "$@" >> "$DOCKERD_LOG" 2>&1 < /dev/null &
	DOCKERD_STARTED_PID=$!
}

iptables_usable() { "$1" -t nat -S > /dev/null 2>&1 && "$1" -t filter -S > /dev/null 2>&1; }

# A directory that puts the legacy (xtables) iptables first in dockerd's PATH, without
# changing the machine's iptables alternative.
legacy_iptables_dir() {
	local dir=/run/dean-test-dockerd-iptables-legacy tool
	mkdir -p "$dir"
	for tool in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
		ln -sfn "/usr/sbin/${tool/tables/tables-legacy}" "$dir/$tool"
	done
	printf '%s' "$dir"
}

start_dockerd() {
	command -v dockerd >/dev/null 2>&1 || fail "dockerd not found (package docker.io)"
	command -v docker >/dev/null 2>&1 || fail "docker CLI not found (package docker.io)"
	if docker_answers; then
		log "dockerd: already running ($(docker version --format 'server {{.Server.Version}}' 2>/dev/null))"
		return
	fi
	local recorded=""
	[ -s "$DOCKERD_PIDFILE" ] && recorded="$(cat "$DOCKERD_PIDFILE")"
	if pid_is_dockerd "$recorded"; then
		log "dockerd: pid $recorded is starting; waiting up to ${DOCKERD_WAIT_SECONDS}s"
		wait_for_docker "$recorded" || fail "dockerd (pid $recorded) does not answer; see $DOCKERD_LOG"
		return
	fi
	rm -f "$DOCKERD_PIDFILE"

	# Debian's docker.io runs here as root with overlay2 and cgroup v1 and needs no extra
	# flags: with a working iptables (Debian's default nf_tables backend) bridge and
	# internal networks, NAT and the docker-proxy serving ports published on 127.0.0.1 work.
	# iptables is not optional: besides NAT, Docker's embedded DNS (container names on
	# user-defined and internal networks, which the program relies on) is wired with
	# iptables rules inside each container; with --iptables=false, or an iptables that
	# fails, names stop resolving. So when the nf_tables backend is unusable (kernels without
	# nf_tables) dockerd gets the legacy xtables backend instead, and with neither this fails.
	if iptables_usable iptables; then
		IPTABLES_BACKEND=default
	elif iptables_usable iptables-legacy; then
		IPTABLES_BACKEND=legacy
	else
		fail "neither iptables nor iptables-legacy can read the nat table ($(iptables -t nat -S 2>&1 | tail -n 1 || true)); Docker needs one for published ports and container name resolution"
	fi
	local log_lines=0
	[ -f "$DOCKERD_LOG" ] && log_lines="$(wc -l < "$DOCKERD_LOG")"
	log "dockerd: starting (iptables: $IPTABLES_BACKEND; log $DOCKERD_LOG, pidfile $DOCKERD_PIDFILE)"
	launch_dockerd
	if wait_for_docker "$DOCKERD_STARTED_PID"; then
		return
	fi
	if [ "$IPTABLES_BACKEND" = default ] && iptables_usable iptables-legacy &&
		tail -n +"$((log_lines + 1))" "$DOCKERD_LOG" | grep -qiE 'iptables|nat chain|xtables'; then
		log "dockerd: failed to set up iptables rules; retrying with the legacy iptables backend"
		kill "$DOCKERD_STARTED_PID" 2>/dev/null || true
		wait "$DOCKERD_STARTED_PID" 2>/dev/null || true
		IPTABLES_BACKEND=legacy
		launch_dockerd
		wait_for_docker "$DOCKERD_STARTED_PID" && return
	fi
	tail -n 30 "$DOCKERD_LOG" >&2 || true
	fail "dockerd did not answer within ${DOCKERD_WAIT_SECONDS}s; see $DOCKERD_LOG"
}

# --- 3. images --------------------------------------------------------------------------

# Content hash of a build directory (paths, types, modes, symlink targets and file
# contents) plus any extra inputs (base image hash, build arguments, mirrors). Python
# bytecode caches (never part of a build, see the .dockerignore files) do not count.
content_hash() {
	local dir="$1"
	shift
	{
		printf 'input %s\n' "$@"
		(cd "$dir" && find . -name __pycache__ -prune -o -printf '%p %y %m %l\n' | LC_ALL=C sort)
		(cd "$dir" && find . -name __pycache__ -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
	} | sha256sum | cut -d' ' -f1
}

image_hash_label() {
	docker image inspect --format "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true
}

record() { SUMMARY+=("$(printf '%-32s %-8s %5ss  %s' "$1" "$2" "$3" "$4")"); }

# "<suite> <uri>" for every deb source apt uses (one-line .list and deb822 .sources files).
apt_sources() {
	local file
	for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$file" ] || continue
		awk '$1 == "deb" {
			i = 2
			if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
			print $(i + 1), $i
		}' "$file"
	done
	for file in /etc/apt/sources.list.d/*.sources; do
		[ -f "$file" ] || continue
		awk 'function flush(   u, s, nu, ns, a, b) {
				if (types ~ /(^| )deb( |$)/ && enabled !~ /^(no|false)$/) {
					nu = split(uris, a, " "); ns = split(suites, b, " ")
					for (u = 1; u <= nu; u++) for (s = 1; s <= ns; s++) print b[s], a[u]
				}
				types = ""; uris = ""; suites = ""; enabled = ""
			}
			/^[[:space:]]*$/ { flush(); next }
			/^#/ { next }
			{
				key = tolower($1); sub(/:$/, "", key); value = $0; sub(/^[^:]*:[[:space:]]*/, "", value)
				if (key == "types") types = value
				else if (key == "uris") uris = value
				else if (key == "suites") suites = value
				else if (key == "enabled") enabled = tolower(value)
			}
			END { flush() }' "$file"
	done
}

mirror_for() {
	apt_sources | awk -v suite="$1" '$1 == suite { print $2; exit }'
}

remove_tree() {
	local dir="$1" mount
	[ -n "$dir" ] && [ -d "$dir" ] || return 0
	# debootstrap mounts /proc and /sys in the target (and leaves them on failure): unmount
	# first and never cross a filesystem boundary while deleting.
	while read -r mount; do
		umount -l "$mount" 2>/dev/null || true
	done < <(awk -v dir="$dir" 'index($2, dir "/") == 1 { print $2 }' /proc/mounts | sort -r)
	rm -rf --one-file-system "$dir"
}

# build_base_image <suite> <tag>: debootstrap of a Debian suite, imported as <tag>. The host's
# apt sources name the mirror; a suite they do not list (sid, for nginx) comes from the mirror
# of bookworm, which carries every suite. sid has no -updates or -security suites.
build_base_image() {
	local SUITE="$1" BASE_TAG="$2" started=$SECONDS mirror security updates hash
	mirror="$(mirror_for "$SUITE")"
	security="$(mirror_for "$SUITE-security")"
	updates="$(mirror_for "$SUITE-updates")"
	[ -n "$mirror" ] || mirror="$(mirror_for bookworm)"
	if [ -z "$mirror" ]; then
		fail "no '$SUITE' or 'bookworm' source found in /etc/apt/sources.list or /etc/apt/sources.list.d/ (needed for debootstrap)"
	fi
	hash="$(content_hash "$IMAGES_DIR/debian" "recipe=$BASE_RECIPE" "suite=$SUITE" "mirror=$mirror" "security=$security" "updates=$updates")"
	BASE_HASHES[$BASE_TAG]="$hash"
	if [ "${DEAN_FORCE_REBUILD:-0}" != 1 ] && [ "$(image_hash_label "$BASE_TAG")" = "$hash" ]; then
		record "$BASE_TAG" cached "$((SECONDS - started))" "$(image_summary "$BASE_TAG")"
		return
	fi
	log "image $BASE_TAG: debootstrap --variant=minbase $SUITE from $mirror"
	local rootfs build_log="$BUILD_LOG_DIR/debian-$SUITE.log"
	rootfs="$(mktemp -d /var/tmp/dean-debian-rootfs.XXXXXX)"
	CLEANUPS+=("remove_tree '$rootfs'")
	local include=()
	case "$mirror$security$updates" in *https:*) include=(--include=ca-certificates) ;; esac
	# Downloaded packages are kept, so a rebuild after a recipe change does not fetch them again.
	mkdir -p "$DEBOOTSTRAP_CACHE"
	if ! debootstrap --variant=minbase --cache-dir="$DEBOOTSTRAP_CACHE" "${include[@]}" "$SUITE" "$rootfs" "$mirror" > "$build_log" 2>&1; then
		tail -n 30 "$build_log" >&2
		fail "debootstrap failed; full log: $build_log"
	fi

	cp -R --preserve=mode "$IMAGES_DIR/debian/rootfs/." "$rootfs/"
	# The image uses the same mirrors as this machine's apt.
	rm -f "$rootfs/etc/apt/sources.list"
	{
		printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" "$SUITE"
		if [ -n "$updates" ]; then
			printf '\nTypes: deb\nURIs: %s\nSuites: %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$updates" "$SUITE"
		fi
		if [ -n "$security" ]; then
			printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$security" "$SUITE"
		fi
	} > "$rootfs/etc/apt/sources.list.d/debian.sources"
	# No package caches, documentation or host identity in the image; Docker provides
	# /etc/hosts, /etc/hostname and /etc/resolv.conf to every container.
	rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
		"$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log \
		"$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old
	find "$rootfs/usr/share/doc" -mindepth 1 -not -type d -not -name copyright -delete
	find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
	: > "$rootfs/etc/resolv.conf"
	: > "$rootfs/etc/hostname"

	tar --numeric-owner -C "$rootfs" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . |
		docker import \
			--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			--change 'ENV LANG=C.UTF-8' \
			--change "LABEL $HASH_LABEL=$hash" \
			--change 'CMD ["bash"]' \
			--message "debootstrap --variant=minbase $SUITE $mirror" \
			- "$BASE_TAG" >> "$build_log" 2>&1 || fail "docker import of $BASE_TAG failed; see $build_log"
	remove_tree "$rootfs"
	[ "$(image_hash_label "$BASE_TAG")" = "$hash" ] || fail "$BASE_TAG has no $HASH_LABEL=$hash label after import"
	REBUILT=1
	record "$BASE_TAG" built "$((SECONDS - started))" "$(image_summary "$BASE_TAG")"
}

image_summary() {
	docker image inspect --format '{{ slice .Id 7 19 }} {{ .Size }}' "$1" 2>/dev/null |
		awk '{ printf "%s %6.1f MB", $1, $2 / 1000000 }'
}

# build_image <tag> <directory> [KEY=VALUE build arguments...]
build_image() {
	local tag="$1" dir="$IMAGES_DIR/$2" started=$SECONDS hash arg
	shift 2
	local build_args=()
	for arg; do build_args+=(--build-arg "$arg"); done
	[ -f "$dir/Dockerfile" ] || fail "$dir/Dockerfile is missing"
	# The base is the FROM image: one of ours, so its hash is known.
	local base
	base="$(awk 'toupper($1) == "FROM" { print $2; exit }' "$dir/Dockerfile")"
	[ -n "${BASE_HASHES[$base]:-}" ] || fail "$dir/Dockerfile: FROM $base is not a base image this script builds"
	hash="$(content_hash "$dir" "base=${BASE_HASHES[$base]}" "$@")"
	if [ "${DEAN_FORCE_REBUILD:-0}" != 1 ] && [ "$(image_hash_label "$tag")" = "$hash" ]; then
		record "$tag" cached "$((SECONDS - started))" "$(image_summary "$tag")"
		return
	fi
	local build_log
	build_log="$BUILD_LOG_DIR/$(printf '%s' "$tag" | tr '/:' '__').log"
	log "image $tag: building from images/$(basename "$dir") (log $build_log)"
	# Host networking: apt inside the build reaches the mirror exactly as apt on this
	# machine does, without depending on Docker's NAT.
	if ! docker build --network host --force-rm --label "$HASH_LABEL=$hash" "${build_args[@]}" \
		--tag "$tag" "$dir" > "$build_log" 2>&1; then
		tail -n 40 "$build_log" >&2
		fail "docker build of $tag failed; full log: $build_log"
	fi
	[ "$(image_hash_label "$tag")" = "$hash" ] || fail "$tag has no $HASH_LABEL=$hash label after the build"
	REBUILT=1
	record "$tag" built "$((SECONDS - started))" "$(image_summary "$tag")"
}

build_images() {
	mkdir -p "$BUILD_LOG_DIR"
	REBUILT=0
	build_base_image bookworm "$BASE_TAG"
	build_base_image sid dean-local/debian:sid
	build_image dean-local/postgres:15 postgres
	build_image dean-local/redis:7 redis
	build_image "$TEST_NGINX_IMAGE" nginx
	build_image dean-local/orchestrator:1.0.0 orchestrator DEAN_VERSION=1.0.0
	build_image dean-local/orchestrator:1.0.1 orchestrator DEAN_VERSION=1.0.1
	# Patch releases without a migration: the availability benchmark upgrades to a new one per run.
	for patch in 2 3 4 5; do
		build_image "dean-local/orchestrator:1.0.$patch" orchestrator "DEAN_VERSION=1.0.$patch"
	done
	# Only the swarm test tier runs it.
	[ -n "$DEPLOY_ONLY" ] || build_image dean-local/swarm-node:1 swarm-node
	if [ "$REBUILT" = 1 ]; then
		# Images replaced by a rebuild are left untagged; only ours carry the hash label.
		docker image prune --force --filter "label=$HASH_LABEL" > /dev/null
	fi
}

# The integration tier runs nginx on the host against loopback ports, and it must be the nginx
# of the image (Debian 12's 1.22 cannot load the rendered config). Its binary, the shared
# libraries it links and their loader are copied out of the image into a directory named by the
# image ID; $TEST_NGINX_DIR/nginx runs the binary with that loader and those libraries only, so
# nothing of the host's libc is mixed in, and it is the process the tests signal (exec).
install_test_nginx() {
	local started=$SECONDS image_id dir libraries library container
	image_id="$(docker image inspect --format '{{ slice .Id 7 19 }}' "$TEST_NGINX_IMAGE")"
	dir="$TEST_NGINX_DIR/$image_id"
	if [ ! -x "$dir/nginx" ] || [ "$(readlink "$TEST_NGINX_DIR/current" 2>/dev/null)" != "$image_id" ]; then
		rm -rf "$dir.tmp"
		mkdir -p "$dir.tmp/lib"
		# ldd prints "name => path (address)" and the loader as "path (address)".
		libraries="$(docker run --rm --network none --entrypoint ldd "$TEST_NGINX_IMAGE" /usr/sbin/nginx |
			awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')"
		[ -n "$libraries" ] || fail "ldd /usr/sbin/nginx in $TEST_NGINX_IMAGE listed no library"
		container="$(docker create --network none "$TEST_NGINX_IMAGE")"
		CLEANUPS+=("docker rm -f $container > /dev/null 2>&1")
		docker cp -L "$container:/usr/sbin/nginx" "$dir.tmp/nginx.bin" > /dev/null
		for library in $libraries; do
			docker cp -L "$container:$library" "$dir.tmp/lib/" > /dev/null
		done
		docker rm -f "$container" > /dev/null
		local loader
		loader="$(printf '%s\n' $libraries | awk -F/ '$NF ~ /^ld-linux/ { print $NF; exit }')"
		[ -n "$loader" ] || fail "no ld-linux loader among the libraries of $TEST_NGINX_IMAGE's nginx: $libraries"
		printf '#!/bin/sh\n# The nginx of %s (image %s), from scripts/setup-test-host.sh.\nexec "%s/lib/%s" --library-path "%s/lib" "%s/nginx.bin" "$@"\n' \
			"$TEST_NGINX_IMAGE" "$image_id" "$dir" "$loader" "$dir" "$dir" > "$dir.tmp/nginx"
		chmod 755 "$dir.tmp/nginx"
		sed -i "s|$dir.tmp|$dir|g" "$dir.tmp/nginx"
		rm -rf "$dir"
		mv "$dir.tmp" "$dir"
		"$dir/nginx" -v > /dev/null 2>&1 || fail "$dir/nginx (copied from $TEST_NGINX_IMAGE) does not run: $("$dir/nginx" -v 2>&1 | tail -n 1)"
		ln -sfn "$image_id" "$TEST_NGINX_DIR/current.next"
		mv -T "$TEST_NGINX_DIR/current.next" "$TEST_NGINX_DIR/current"
		ln -sfn current/nginx "$TEST_NGINX_DIR/nginx"
		# Copies of images since rebuilt.
		find "$TEST_NGINX_DIR" -mindepth 1 -maxdepth 1 -type d -not -name "$image_id" -exec rm -rf {} +
	fi
	log "test nginx: $TEST_NGINX_DIR/nginx is $("$TEST_NGINX_DIR/nginx" -v 2>&1 | sed 's/^nginx version: //') from $TEST_NGINX_IMAGE ($((SECONDS - started))s)"
}

# --- 4. networking self-check -------------------------------------------------------------

remove_self_check_objects() {
	local ids
	ids="$(docker ps -aq --filter "label=$SELF_CHECK_LABEL")"
	[ -z "$ids" ] || docker rm -f $ids > /dev/null
	ids="$(docker network ls -q --filter "label=$SELF_CHECK_LABEL")"
	[ -z "$ids" ] || docker network rm $ids > /dev/null
}

network_self_check() {
	local front=dean-setup-check-front back=dean-setup-check-back web=dean-setup-check-web port="" attempt reply
	remove_self_check_objects
	CLEANUPS+=("remove_self_check_objects")
	docker network create --label "$SELF_CHECK_LABEL" "$front" > /dev/null
	docker network create --internal --label "$SELF_CHECK_LABEL" "$back" > /dev/null
	# As the program wires Postgres: an internal network plus a bridge that only publishes
	# a port on 127.0.0.1.
	docker create --label "$SELF_CHECK_LABEL" --name "$web" --network "$front" \
		--publish 127.0.0.1::80 "$TEST_NGINX_IMAGE" > /dev/null
	docker network connect --alias web "$back" "$web"
	docker start "$web" > /dev/null
	port="$(docker port "$web" 80/tcp | awk -F: 'NR == 1 { print $NF }')"
	[ -n "$port" ] || fail "network check: no host port published for $web"
	for attempt in $(seq 1 20); do
		curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
		[ "$attempt" -lt 20 ] || fail "network check: http://127.0.0.1:$port/ (published by $web) does not answer from the host"
		sleep 0.5
	done
	reply="$(docker run --rm --label "$SELF_CHECK_LABEL" --network "$back" "$BASE_TAG" timeout 10 \
		bash -c 'exec 3<>/dev/tcp/web/80 && printf "GET / HTTP/1.0\r\nHost: web\r\n\r\n" >&3 && head -n 1 <&3' 2>&1 || true)"
	case "$reply" in
		*" 200 "*) ;;
		*) fail "network check: a container on the internal network cannot reach 'web' by name: $reply" ;;
	esac
	remove_self_check_objects
	log "network: names resolve on internal networks; 127.0.0.1:$port published by a container answers from the host"
}

# --- main -------------------------------------------------------------------------------

step() {
	local name="$1" started=$SECONDS
	shift
	"$@"
	STEP_SECONDS[$name]=$((SECONDS - started))
}

# Root is needed only to install packages or start dockerd: a user whose Docker engine already
# answers and who has the packages can build the images without it.
require_root_for() {
	[ "$(id -u)" = 0 ] || fail "$1 needs root: run this as root (sudo $0${DEPLOY_ONLY:+ --deploy}), or install Debian's ${REQUIRED_PACKAGES[*]} and start a Docker engine yourself"
}

missing_packages() {
	local package
	for package in "${REQUIRED_PACKAGES[@]}"; do
		package_installed "$package" || printf '%s\n' "$package"
	done
}

main() {
	DEPLOY_ONLY=""
	case "${1:-}" in
		--deploy) DEPLOY_ONLY=1; REQUIRED_PACKAGES=("${DEPLOY_PACKAGES[@]}"); PACKAGED_SERVICES=() ;;
		"") ;;
		*) fail "unknown option $1 (--deploy: only what npm run up needs, not the test tiers' servers)" ;;
	esac
	[ -d "$IMAGES_DIR" ] || fail "$IMAGES_DIR not found"
	if [ -n "$(missing_packages)" ]; then require_root_for "installing $(missing_packages | tr '\n' ' ')"; fi
	if ! docker_answers; then require_root_for "starting dockerd"; fi
	local started=$SECONDS
	step packages install_packages
	step services stop_packaged_services
	step dockerd start_dockerd
	step images build_images
	[ -n "$DEPLOY_ONLY" ] || step test_nginx install_test_nginx
	step network network_self_check

	log "images (tag, built or cached, seconds, id, size):"
	local line
	for line in "${SUMMARY[@]}"; do log "  $line"; done
	log "docker: $(docker version --format 'client {{.Client.Version}}, server {{.Server.Version}}')$([ -s "$DOCKERD_PIDFILE" ] && printf ', dockerd pid %s' "$(cat "$DOCKERD_PIDFILE")")"
	log "steps: packages ${STEP_SECONDS[packages]}s, services ${STEP_SECONDS[services]}s, dockerd ${STEP_SECONDS[dockerd]}s, images ${STEP_SECONDS[images]}s, network ${STEP_SECONDS[network]}s"
	log "ready in $((SECONDS - started))s"
}

main "$@"
