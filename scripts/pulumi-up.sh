#!/usr/bin/env bash
# `npm run up [-- <stack> [pulumi up flags]]`: deploys a stack (default `dev`) to the local
# Docker engine. Logs in to Pulumi's local file backend when not logged in anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

stack="${1:-dev}"
shift || true

if ! command -v pulumi >/dev/null 2>&1; then
  echo "npm run up needs the Pulumi CLI (https://www.pulumi.com/docs/iac/download-install/)." >&2
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  echo "npm run up needs a running Docker engine that this user may use (docker info failed)." >&2
  exit 1
fi

if ! pulumi whoami >/dev/null 2>&1; then
  state_dir="${DEAN_PULUMI_STATE_DIR:-$HOME/.dean-pulumi-state}"
  mkdir -p "$state_dir"
  echo "Not logged in to a Pulumi backend: using the local file backend in $state_dir"
  pulumi login "file://$state_dir"
fi

if ! pulumi stack select "$stack" 2>/dev/null; then
  echo "Creating stack $stack (secrets encrypted with a passphrase: set PULUMI_CONFIG_PASSPHRASE or answer the prompt)"
  pulumi stack init "$stack" --secrets-provider passphrase
fi

exec pulumi up --stack "$stack" "$@"
