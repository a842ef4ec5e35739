#!/usr/bin/env bash
# engine/build.sh: builds the Pulumi engine binaries that `pulumi up` needs, from Go modules
# fetched by `go` through the Go module proxy, and nothing else (engine/README.md says what,
# from which modules, and why one of them is a substitute).
#
#   bash engine/build.sh          build if needed; stdout's only line is the bin directory
#   bash engine/build.sh --env    build if needed; stdout is shell code to eval:
#                                   eval "$(bash engine/build.sh --env)"
#
# Binaries land in $DEAN_ENGINE_CACHE/<key>/bin (default /var/cache/dean-engine/<key>/bin),
# and engine/bin is a symlink to that directory. <key> hashes this script, every go.mod,
# go.sum and .go file under engine/, and the Go version, OS and architecture, so a warm run
# only hashes a few files and exits. Go's own caches (GOMODCACHE, GOCACHE) stay where `go env`
# puts them, so a rebuild after a key change recompiles only what changed.
#
# Environment: DEAN_ENGINE_CACHE (/var/cache/dean-engine), DEAN_ENGINE_JOBS (2: `go build -p`),
# GO (the go binary; default: `go` on PATH, else /usr/local/go/bin/go).
set -Eeuo pipefail

ENGINE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JOBS="${DEAN_ENGINE_JOBS:-2}"
MIN_GO=1.25.11 # the highest `go` line of the modules built (pkg/v3 and sdk/v3 v3.248.0)
VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version

# name | module folder under engine/ | main package | version stamped into $VERSION_VAR
# The v3.68.0 Node.js host lacks RunPlugin (policy packs), so it is installed under another
# name and pulumi-language-nodejs is our front for it (language-host/, Go code of our own,
# which runs the host beside it and passes it every call but RunPlugin).
BINARIES=(
	"pulumi|cli|github.com/pulumi/pulumi/pkg/v3/cmd/pulumi|v3.248.0"
	"pulumi-language-nodejs-v3.68|language-nodejs|github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs|v3.68.0"
	"pulumi-language-nodejs|language-host|.|v3.68.0"
)
# Resource plugins of our own (engine/providers/README.md), standing in for Pulumi's, whose
# modules the proxy refuses:
# name | module folder under engine/ | main package | version variable | npm version | tfgen package
# A bridged provider has a tfgen package: it is built and run first (`schema`), and its
# schema.json and bridge-metadata.json go to <main package dir>/generated/ (git-ignored),
# which the plugin embeds.
PROVIDERS=(
	"pulumi-resource-random|providers/random|./cmd/pulumi-resource-random|dean-infra/engine/providers/random/info.Version|4.21.2|./cmd/pulumi-tfgen-random"
	"pulumi-resource-command|providers/command|./cmd/pulumi-resource-command|main.version|1.2.1|-"
	"pulumi-resource-docker|providers/docker|./cmd/pulumi-resource-docker|dean-infra/engine/providers/docker/info.Version|5.2.0|./cmd/pulumi-tfgen-docker"
	"pulumi-resource-postgresql|providers/postgresql|./cmd/pulumi-resource-postgresql|main.version|3.18.1|-"
)
# Wanted, but not built: the Go module proxy refuses the module named (README, "Not built").
NOT_BUILT=()

mode=dir
case "${1:-}" in
"") ;;
--env) mode="env" ;;
-h | --help)
	sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "engine/build.sh: unknown argument '$1' (try --help)" >&2
	exit 2
	;;
esac

log() { printf '[engine] %s\n' "$*" >&2; }
fail() {
	printf '[engine] ERROR: %s\n' "$*" >&2
	exit 1
}
trap 'fail "command failed (line $LINENO, exit $?): $BASH_COMMAND"' ERR
now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

# --- Go -------------------------------------------------------------------------------------

GO="${GO:-}"
if [ -z "$GO" ]; then
	if command -v go >/dev/null 2>&1; then GO="$(command -v go)"; else GO=/usr/local/go/bin/go; fi
fi
[ -x "$GO" ] || fail "no Go toolchain: put go on PATH or set GO (looked for $GO)"
# Never let `go` fetch another toolchain, and build with the flags the cache key assumes.
export GOTOOLCHAIN=local
export GOFLAGS="-trimpath -buildvcs=false -mod=readonly"
# Static binaries, as Pulumi releases them: no C compiler needed, no libc version to match.
export CGO_ENABLED=0
go_version="$("$GO" env GOVERSION)"
if [ "$(printf '%s\n%s\n' "go$MIN_GO" "$go_version" | sort -V | head -n1)" != "go$MIN_GO" ]; then
	fail "Go $go_version is older than go$MIN_GO, which pulumi v3.248.0's modules need"
fi

# --- cache key ------------------------------------------------------------------------------

key="$(
	{
		"$GO" env GOVERSION GOOS GOARCH CGO_ENABLED
		cd "$ENGINE_DIR"
		find . -path ./bin -prune -o -type f \( -name build.sh -o -name go.mod -o -name go.sum -o -name '*.go' \) -print |
			LC_ALL=C sort | xargs sha256sum
	} | sha256sum | cut -c1-16
)"

CACHE_ROOT="${DEAN_ENGINE_CACHE:-/var/cache/dean-engine}"
if ! mkdir -p "$CACHE_ROOT" 2>/dev/null || [ ! -w "$CACHE_ROOT" ]; then
	CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/dean-engine"
	mkdir -p "$CACHE_ROOT"
fi
dest="$CACHE_ROOT/$key"

finish() {
	ln -sfn "$dest/bin" "$ENGINE_DIR/bin"
	if [ "$mode" = env ]; then
		# shellcheck disable=SC2016 # $PATH is for the shell that evals this output
		printf 'export PATH=%q:"$PATH"\n' "$dest/bin"
		printf 'export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true\n'
		printf 'export PULUMI_SKIP_UPDATE_CHECK=true\n'
	else
		printf '%s\n' "$dest/bin"
	fi
	exit 0
}

cached() {
	local entry
	[ -f "$dest/MANIFEST" ] || return 1
	for entry in "${BINARIES[@]}" "${PROVIDERS[@]}"; do
		[ -x "$dest/bin/${entry%%|*}" ] || return 1
	done
}

start_ms="$(now_ms)"
if cached; then
	log "cached (key $key): $dest/bin"
	sed 's/^/[engine]   /' "$dest/MANIFEST" >&2
	finish
fi

# One build per cache root at a time; whoever waited finds the other's result.
exec 9>"$CACHE_ROOT/.lock"
if ! flock -n 9; then
	log "another engine build holds $CACHE_ROOT/.lock; waiting for it"
	flock 9
fi
if cached; then
	log "built meanwhile by another run (key $key): $dest/bin"
	finish
fi

work="$CACHE_ROOT/.build-$key-$$"
rm -rf "$work"
mkdir -p "$work/bin"
trap 'rm -rf "$work"' EXIT
log "building key $key with $go_version ($("$GO" env GOOS)/$("$GO" env GOARCH)), go build -p $JOBS, nice 10"
log "  GOPROXY=$("$GO" env GOPROXY) GOMODCACHE=$("$GO" env GOMODCACHE) GOCACHE=$("$GO" env GOCACHE)"

# --- download: every module each build needs, or the names of those the proxy refused -----

for entry in "${BINARIES[@]}" "${PROVIDERS[@]}"; do
	IFS='|' read -r _ folder _ _ <<<"$entry"
	dl="${folder//\//-}" # download-<folder>.json, with / made -
	t0="$(now_ms)"
	if ! (cd "$ENGINE_DIR/$folder" && "$GO" mod download -json >"$work/download-$dl.json" 2>"$work/download-$dl.err"); then
		missing="$(awk -F'"' '/^\t"Path"/ { p = $4 } /^\t"Version"/ { v = $4 } /^\t"Error"/ { print "  " p "@" v ": " $4 }' "$work/download-$dl.json")"
		fail "engine/$folder: the Go module proxy did not give these modules:
${missing:-$(sed 's/^/  /' "$work/download-$dl.err")}"
	fi
	count="$(awk '/^\t"Path"/ { n++ } END { print n + 0 }' "$work/download-$dl.json")"
	log "engine/$folder: $count modules in the module cache ($(secs $(($(now_ms) - t0))) s)"
done

# --- build ----------------------------------------------------------------------------------

: >"$work/MANIFEST"
for entry in "${BINARIES[@]}"; do
	IFS='|' read -r name folder package version <<<"$entry"
	t0="$(now_ms)"
	if ! (cd "$ENGINE_DIR/$folder" && nice -n 10 "$GO" build -p "$JOBS" \
		-ldflags "-s -w -X $VERSION_VAR=$version" -o "$work/bin/$name" "$package"); then
		fail "building $name ($package, engine/$folder) failed"
	fi
	took="$(secs $(($(now_ms) - t0)))"
	# A main package of our own (language-host/) has no module version.
	module="$(cd "$ENGINE_DIR/$folder" && "$GO" list -f '{{.Module.Path}}{{with .Module.Version}}@{{.}}{{else}} (ours){{end}}' "$package")"
	size="$(du -m "$work/bin/$name" | cut -f1)"
	printf '%-28s %-10s from %s, %s MB, built in %s s\n' "$name" "$version" "$module" "$size" "$took" >>"$work/MANIFEST"
	log "built $name $version from $module: $size MB in $took s"
done

for entry in "${PROVIDERS[@]}"; do
	IFS='|' read -r name folder package version_var version tfgen <<<"$entry"
	t0="$(now_ms)"
	if [ "$tfgen" != - ]; then
		# Schema and bridge metadata, generated from the upstream provider now, not copied.
		if ! (cd "$ENGINE_DIR/$folder" && nice -n 10 "$GO" build -p "$JOBS" -ldflags "-s -w" -o "$work/tfgen-${name}" "$tfgen" &&
			"$work/tfgen-${name}" schema --skip-docs --skip-examples --out "$work/gen-${name}" >"$work/tfgen-${name}.log" 2>&1); then
			fail "generating the schema of $name ($tfgen, engine/$folder) failed; see $work/tfgen-${name}.log"
		fi
		mkdir -p "$ENGINE_DIR/$folder/$package/generated"
		cp "$work/gen-${name}/schema.json" "$work/gen-${name}/bridge-metadata.json" "$ENGINE_DIR/$folder/$package/generated/"
		rm -rf "$work/tfgen-${name}" "$work/gen-${name}"
	fi
	if ! (cd "$ENGINE_DIR/$folder" && nice -n 10 "$GO" build -p "$JOBS" \
		-ldflags "-s -w -X $version_var=$version" -o "$work/bin/$name" "$package"); then
		fail "building $name ($package, engine/$folder) failed"
	fi
	took="$(secs $(($(now_ms) - t0)))"
	reported="$("$work/bin/$name" -version)"
	[ "$reported" = "$version" ] || fail "the built $name reports version '$reported', not $version"
	size="$(du -m "$work/bin/$name" | cut -f1)"
	printf '%-28s %-10s ours, engine/%s, %s MB, built in %s s\n' "$name" "$version" "$folder" "$size" "$took" >>"$work/MANIFEST"
	log "built $name $version (ours, engine/$folder): $size MB in $took s"
done

reported="$("$work/bin/pulumi" version)"
[ "$reported" = v3.248.0 ] || fail "the built pulumi reports '$reported', not v3.248.0"

for item in ${NOT_BUILT[@]+"${NOT_BUILT[@]}"}; do
	printf '%-28s not built: the Go module proxy refuses %s\n' "${item%%:*}" "${item#*: }" >>"$work/MANIFEST"
done

rm -f "$work"/download-*
mkdir -p "$(dirname "$dest")"
rm -rf "$dest"
mv "$work" "$dest"
trap - EXIT
log "done in $(secs $(($(now_ms) - start_ms))) s: $dest/bin"
sed 's/^/[engine]   /' "$dest/MANIFEST" >&2
finish
