#!/usr/bin/env bash
# The README's test command (`npm run test:all`), also run by CI (.ci/run).
# On a fresh Debian machine it installs what the tiers need, then runs every tier in order
# and prints how long each took. Under CI=true no tier may skip.
set -euo pipefail
cd "$(dirname "$0")/.."

results_dir="$(mktemp -d)"
trap 'rm -rf "$results_dir"' EXIT
declare -a timings=()
step() {
  local name="$1"; shift
  local started=$SECONDS
  echo "==> $name"
  "$@"
  timings+=("$(printf '%-28s %4ds' "$name" $((SECONDS - started)))")
}

step "npm ci" npm ci --no-audit --no-fund
step "test host setup" bash scripts/setup-test-host.sh
step "engine build (cached)" bash engine/build.sh
step "typecheck" npx tsc --noEmit -p .
step "lint" npx eslint .
jest_tier() {
  local label="$1"; shift
  npx jest "$@" --json --outputFile="$results_dir/$label.json"
}

step "unit + policies (npm test)" jest_tier unit-policies --selectProjects unit policies
step "offline policy check: dev" npm run --silent policy -- --stack dev
step "offline policy check: prod" npm run --silent policy -- --stack prod
step "integration" jest_tier integration --selectProjects integration --runInBand
step "e2e" jest_tier e2e --selectProjects e2e --runInBand
step "engine (real pulumi up)" jest_tier engine --selectProjects engine --runInBand
step "swarm (3 Docker-in-Docker nodes)" jest_tier swarm --selectProjects swarm --runInBand

echo "==> timings"
printf '%s\n' "${timings[@]}"
# One closing line over every jest tier, in the plain form CI reads.
node -e '
  const fs = require("fs"), path = require("path");
  let passed = 0, failed = 0, skipped = 0;
  for (const file of fs.readdirSync(process.argv[1])) {
    const result = JSON.parse(fs.readFileSync(path.join(process.argv[1], file), "utf8"));
    passed += result.numPassedTests; failed += result.numFailedTests; skipped += result.numPendingTests + result.numTodoTests;
  }
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (process.env.CI === "true" && skipped > 0) {
    console.error("CI=true: a skipped test counts as a failure");
    process.exit(1);
  }
' "$results_dir"
