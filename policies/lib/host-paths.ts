/**
 * Host paths as Docker resolves a bind mount: `/var//run/./docker.sock/` is the socket, so a
 * rule must compare normalised paths. Written for the pack (policies never import program code);
 * the program's config schema refuses the same paths before a plan exists (components/host-path.ts).
 */

/** Repeated slashes, `.` segments and a trailing slash removed; `..` is left for the caller to refuse. */
export function normalisePath(path: string): string {
  return `/${path.split("/").filter((segment) => segment !== "" && segment !== ".").join("/")}`;
}

/** True when `path` is `tree` or lies inside it (everything lies inside `/`). */
export function within(path: string, tree: string): boolean {
  return path === tree || tree === "/" || path.startsWith(`${tree}/`);
}

/** Why a mount source cannot be checked at all, or undefined when it can. */
export function unreadablePathReason(path: string, maxLength: number): string | undefined {
  if (path.length > maxLength) return `its host path is ${path.length} characters long (at most ${maxLength})`;
  if (!path.startsWith("/")) return `its host path ${JSON.stringify(path)} is not absolute`;
  if ([...path].some((character) => character < " " || character === "\u007f")) return `its host path ${JSON.stringify(path)} contains control characters`;
  if (path.includes(":")) return `its host path ${JSON.stringify(path)} contains \`:\`, Docker's separator of host path, container path and mode`;
  if (path.split("/").includes("..")) return `its host path ${JSON.stringify(path)} contains \`..\`, which names another place once a symlink is followed`;
  return undefined;
}
