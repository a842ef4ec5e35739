import { type Directive, parseNginxConf } from "../../../policies/lib/nginx-conf";

/**
 * Lookups over parsed nginx configuration, so tests can ask "which directives are inside
 * this location" instead of grepping the whole file. The parser is the policy pack's own.
 */
export type { Directive };

/** Parses a whole file; throws on unbalanced braces or a directive without `;`. */
export const parseNginx = parseNginxConf;

/** Directives called `name` directly inside `scope` (not in nested blocks). */
export function directives(scope: readonly Directive[], name: string): Directive[] {
  return scope.filter((directive) => directive.name === name);
}

/** The one block `name args...` directly inside `scope`; throws unless exactly one matches. */
export function blockOf(scope: readonly Directive[], name: string, ...args: string[]): readonly Directive[] {
  const matches = scope.filter((d) => d.name === name && d.block !== undefined && (args.length === 0 || d.args.join(" ") === args.join(" ")));
  if (matches.length !== 1) throw new Error(`expected one \`${[name, ...args].join(" ")}\` block, found ${matches.length}`);
  return matches[0].block ?? [];
}

/** Each directive as one line of text (`limit_req zone=api burst=5 nodelay`), for readable assertions. */
export function lines(scope: readonly Directive[]): string[] {
  return scope.filter((d) => d.block === undefined).map((d) => [d.name, ...d.args].join(" "));
}

/** Locations of a server keyed by their full head (`= /health`, `^~ /api/login`, `/`). */
export function locations(server: readonly Directive[]): Map<string, readonly Directive[]> {
  const found = new Map<string, readonly Directive[]>();
  for (const d of directives(server, "location")) {
    const key = d.args.join(" ");
    if (found.has(key)) throw new Error(`duplicate location ${key}`);
    found.set(key, d.block ?? []);
  }
  return found;
}

/** Every directive in `scope` and all blocks below it. */
export function allDirectives(scope: readonly Directive[]): Directive[] {
  return scope.flatMap((d) => [d, ...allDirectives(d.block ?? [])]);
}

/** The one `server` block of `http` whose own directives include `line` (`listen 80 default_server`); throws unless exactly one does. */
export function serverWith(http: readonly Directive[], line: string): readonly Directive[] {
  const matches = directives(http, "server").filter((server) => lines(server.block ?? []).includes(line));
  if (matches.length !== 1) throw new Error(`expected one server with \`${line}\`, found ${matches.length}`);
  return matches[0].block ?? [];
}
