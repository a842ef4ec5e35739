import { spawnSync } from "node:child_process";

/**
 * A deployed stack needs a running Docker engine, the docker CLI (the program's local commands
 * call it) and the locally built images. The tiers turn what is missing into a failing test
 * under CI=true (tests/support/prerequisites.ts), the benchmarks into an error.
 */

const CHECK_TIMEOUT_MS = 20_000;

function docker(args: readonly string[]): { ok: boolean; output: string } {
  const result = spawnSync("docker", args, { encoding: "utf8", timeout: CHECK_TIMEOUT_MS });
  if (result.error) return { ok: false, output: result.error.message };
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

/** What is missing for a deployed stack, or undefined when everything is there. */
export function missingPrerequisite(images: readonly string[]): string | undefined {
  const engine = docker(["info", "--format", "{{.ServerVersion}}"]);
  if (!engine.ok) return `no Docker engine answers (docker info: ${engine.output}); start it with: bash scripts/setup-test-host.sh`;
  const missing = images.filter((image) => !docker(["image", "inspect", "--format", "{{.Id}}", image]).ok);
  if (missing.length > 0) return `images missing on the Docker host: ${missing.join(", ")}; build them with: bash scripts/setup-test-host.sh`;
  return undefined;
}
