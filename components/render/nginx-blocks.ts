/**
 * A minimal model of nginx configuration text: directives and nested blocks, rendered with
 * consistent indentation. Building the file as a tree keeps every `{` matched by its `}`.
 */
export type NginxLine = string | NginxBlock;

export interface NginxBlock {
  readonly head: string;
  readonly body: readonly NginxLine[];
}

export function block(head: string, body: readonly NginxLine[]): NginxBlock {
  return { head, body };
}

/** Renders lines at `depth` (4 spaces per level); strings are emitted verbatim, "" is a blank line. */
export function renderNginxLines(lines: readonly NginxLine[], depth = 0): string[] {
  const pad = "    ".repeat(depth);
  const out: string[] = [];
  for (const line of lines) {
    if (typeof line === "string") {
      out.push(line === "" ? "" : pad + line);
    } else {
      out.push(`${pad}${line.head} {`, ...renderNginxLines(line.body, depth + 1), `${pad}}`);
    }
  }
  return out;
}
