import { accessSync, constants } from "node:fs";
import path from "node:path";

/** Where Debian installs PostgreSQL 15's programs (they are not on PATH). */
export const POSTGRES_BIN_DIR = process.env.DEAN_PG_BIN_DIR ?? "/usr/lib/postgresql/15/bin";

/** The absolute path of an executable, searched in `dirs` first, then PATH and the sbin dirs. */
export function findBinary(name: string, dirs: readonly string[] = []): string | undefined {
  const searched = [...dirs, ...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/sbin"];
  for (const dir of searched) {
    if (dir === "") continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/**
 * The nginx the integration tier runs: the image's own (dean-local/nginx:sid), copied out by
 * scripts/setup-test-host.sh, never the host's, which may be Debian 12's 1.22 and cannot load
 * the rendered config. DEAN_TEST_NGINX overrides the path.
 */
export function findTestNginx(): string | undefined {
  const candidate = process.env.DEAN_TEST_NGINX ?? "/var/cache/dean-test-nginx/nginx";
  try {
    accessSync(candidate, constants.X_OK);
    return candidate;
  } catch {
    return undefined;
  }
}

/**
 * describe() for a suite that drives real programs. When one is missing the suite FAILS in CI
 * (CI=true), where a silently skipped tier would prove nothing, and is skipped with a message
 * elsewhere.
 */
export function describeWithBinaries<K extends string>(
  title: string,
  found: Record<K, string | undefined>,
  body: (binaries: Record<K, string>) => void,
): void {
  const missing = (Object.keys(found) as K[]).filter((name) => found[name] === undefined);
  if (missing.length === 0) {
    describe(title, () => body(found as Record<K, string>));
    return;
  }
  const message =
    `${title}: ${missing.join(", ")} not found. Run scripts/setup-test-host.sh: it installs Debian's redis-server, ` +
    `postgresql-15 and openssl (PostgreSQL's programs are looked up in ${POSTGRES_BIN_DIR}) and copies the nginx of ` +
    "the test image to /var/cache/dean-test-nginx/nginx.";
  if (process.env.CI === "true") {
    describe(title, () => {
      test("has the programs it drives", () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`SKIPPED ${message}`);
  describe.skip(title, () => body(found as Record<K, string>));
}
