/**
 * A small parser for nginx configuration text, so tests can ask "which directives are inside
 * this location" instead of grepping the whole file. It understands comments, single and double
 * quotes, blocks and `;`, which is all nginx.conf syntax amounts to.
 */
export interface Directive {
  readonly name: string;
  /** Arguments with quotes removed. */
  readonly args: readonly string[];
  /** Children, for a block directive (`server { ... }`). */
  readonly block?: readonly Directive[];
}

type Token = { kind: "word"; text: string } | { kind: "{" | "}" | ";" };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (/\s/.test(char)) {
      i++;
    } else if (char === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (char === "{" || char === "}" || char === ";") {
      tokens.push({ kind: char });
      i++;
    } else if (char === '"' || char === "'") {
      let word = "";
      i++;
      while (i < text.length && text[i] !== char) {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        word += text[i++];
      }
      if (i >= text.length) throw new Error(`unterminated ${char} quote`);
      i++;
      tokens.push({ kind: "word", text: word });
    } else {
      let word = "";
      while (i < text.length && !/[\s{};]/.test(text[i])) word += text[i++];
      tokens.push({ kind: "word", text: word });
    }
  }
  return tokens;
}

/** Parses a whole file; throws on unbalanced braces or a directive without `;`. */
export function parseNginx(text: string): Directive[] {
  const tokens = tokenize(text);
  let position = 0;
  const parseBlock = (nested: boolean): Directive[] => {
    const directives: Directive[] = [];
    while (position < tokens.length) {
      const token = tokens[position];
      if (token.kind === "}") {
        if (!nested) throw new Error("unexpected }");
        position++;
        return directives;
      }
      if (token.kind !== "word") throw new Error(`unexpected ${token.kind}`);
      const words: string[] = [];
      while (position < tokens.length && tokens[position].kind === "word") {
        words.push((tokens[position++] as { text: string }).text);
      }
      const end = tokens[position++];
      if (end?.kind === ";") directives.push({ name: words[0], args: words.slice(1) });
      else if (end?.kind === "{") directives.push({ name: words[0], args: words.slice(1), block: parseBlock(true) });
      else throw new Error(`directive ${words.join(" ")} is not terminated`);
    }
    if (nested) throw new Error("missing }");
    return directives;
  };
  return parseBlock(false);
}

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
