/**
 * The oldest nginx the rendered configuration loads in, and why: what the prod image pin and the
 * test image (images/nginx, Debian sid's nginx) must both be at least.
 */
export const NGINX_MINIMUM_VERSION = "1.27.4";

/** The directives that need NGINX_MINIMUM_VERSION, for error messages and docs. */
export const NGINX_MINIMUM_VERSION_REASON = "upstream servers that follow DNS (`server ... resolve`, 1.27.3) and client connections kept through a reload (`keepalive_min_timeout`, 1.27.4)";

/**
 * [major, minor, patch] of a version like 1.27.3, or of a release line like 1.27, which an image
 * tag names for the newest patch of that line (so its patch counts as higher than any).
 */
function parse(version: string): [number, number, number] | undefined {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(version);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), match[3] === undefined ? Number.POSITIVE_INFINITY : Number(match[3])];
}

/** Whether `version` (x.y.z or x.y) is NGINX_MINIMUM_VERSION or later; undefined when it is neither. */
export function meetsNginxMinimum(version: string): boolean | undefined {
  const have = parse(version);
  const need = parse(NGINX_MINIMUM_VERSION);
  if (!have || !need) return undefined;
  for (let index = 0; index < 3; index++) {
    if (have[index] !== need[index]) return have[index] > need[index];
  }
  return true;
}

/**
 * The nginx version an image reference names by its tag (`nginx:1.27.3-bookworm` -> 1.27.3,
 * `nginx:1.27` -> 1.27), or undefined when the tag says none (a local build, a digest).
 */
export function nginxVersionOfImage(reference: string): string | undefined {
  const withoutDigest = reference.split("@")[0];
  const slash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  if (colon <= slash) return undefined;
  const match = /^(\d+\.\d+(?:\.\d+)?)(?:-|$)/.exec(withoutDigest.slice(colon + 1));
  return match ? match[1] : undefined;
}
