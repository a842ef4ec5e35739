#!/usr/bin/env bash
# `npm run up [-- <stack> [pulumi up flags]]`: deploys a stack (default `dev`) to the local
# Docker engine with the Pulumi engine this repository builds (engine/build.sh).
#
#  1. the host: a Docker engine and the local images the dev stack uses
#     (scripts/setup-test-host.sh --deploy; installs and starts what is missing when run as root);
#  2. the engine: the Pulumi CLI, its Node.js language host and the resource plugins, built from
#     Go modules and cached (engine/build.sh);
#  3. the stack: the file backend in $DEAN_PULUMI_STATE_DIR (default ~/.dean-pulumi-state) unless
#     PULUMI_BACKEND_URL names another, secrets encrypted with PULUMI_CONFIG_PASSPHRASE;
#  4. `pulumi up --policy-pack policies` (with policies/config/<stack>.json when there is one):
#     the preview that `pulumi up` runs first fails on a mandatory violation, so a plan the pack
#     refuses changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

stack="${1:-dev}"
shift || true

fail() {
	printf 'npm run up: %s\n' "$*" >&2
	exit 1
}

if [ ! -f "Pulumi.$stack.yaml" ]; then
	stacks=(Pulumi.*.yaml)
	stacks=("${stacks[@]#Pulumi.}")
	fail "there is no Pulumi.$stack.yaml: the stacks are ${stacks[*]%.yaml}"
fi
[ -d node_modules/@pulumi/pulumi ] || fail "the project's packages are not installed: run npm ci first"
command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] ||
	fail "Go is needed to build the Pulumi engine from Go modules (engine/build.sh): install Go 1.25 or newer"
if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
	fail "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): it encrypts the stack's secrets; keep it, every later update and rollback needs the same one"
fi

bash scripts/setup-test-host.sh --deploy
eval "$(bash engine/build.sh --env)"

missing=()
for plugin in pulumi pulumi-language-nodejs pulumi-resource-command pulumi-resource-random pulumi-resource-postgresql pulumi-resource-docker; do
	command -v "$plugin" >/dev/null 2>&1 || missing+=("$plugin")
done
if [ "${#missing[@]}" -gt 0 ]; then
	fail "the engine lacks ${missing[*]}: engine/build.sh could not build them here (engine/README.md, \"Not built\", names the Go modules the proxy refuses); install them on PATH (pulumi plugin install resource <name> <version>) where the Pulumi registry is reachable"
fi

state_dir="${DEAN_PULUMI_STATE_DIR:-$HOME/.dean-pulumi-state}"
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
	mkdir -p "$state_dir"
	export PULUMI_BACKEND_URL="file://$state_dir"
	echo "Pulumi state: $PULUMI_BACKEND_URL (set PULUMI_BACKEND_URL to use another backend)"
fi

if ! pulumi stack select "$stack" >/dev/null 2>&1; then
	echo "Creating stack $stack (secrets encrypted with the passphrase)"
	pulumi stack init "$stack" --secrets-provider passphrase
fi

policy=(--policy-pack policies)
if [ -f "policies/config/$stack.json" ]; then policy+=(--policy-pack-config "policies/config/$stack.json"); fi
exec pulumi up --stack "$stack" "${policy[@]}" "$@"
