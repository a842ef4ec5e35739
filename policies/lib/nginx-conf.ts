/**
 * Just enough of nginx.conf to follow rate limits: directives, blocks, quotes and comments,
 * and the inheritance nginx applies to `limit_req` (a level inherits its parent's limit_req
 * directives only when it declares none of its own) and to ordinary directives.
 */
export interface Directive {
  readonly name: string;
  readonly args: readonly string[];
  readonly block?: readonly Directive[];
}

export class NginxSyntaxError extends Error {}

type Token = { readonly word: string } | { readonly punct: "{" | "}" | ";" };

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
      tokens.push({ punct: char });
      i++;
    } else if (char === '"' || char === "'") {
      let word = "";
      for (i++; i < text.length && text[i] !== char; i++) {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        word += text[i];
      }
      if (i >= text.length) throw new NginxSyntaxError(`unterminated ${char} quote`);
      i++;
      tokens.push({ word });
    } else {
      let word = "";
      while (i < text.length && !/[\s{};]/.test(text[i])) {
        // `${name}` is a variable inside a word, not a block.
        const variable = text.startsWith("${", i) ? text.indexOf("}", i) : -1;
        const end = variable >= 0 ? variable + 1 : i + 1;
        word += text.slice(i, end);
        i = end;
      }
      tokens.push({ word });
    }
  }
  return tokens;
}

export function parseNginxConf(text: string): Directive[] {
  const tokens = tokenize(text);
  let position = 0;
  const parseBlock = (nested: boolean): Directive[] => {
    const directives: Directive[] = [];
    while (position < tokens.length) {
      const head = tokens[position++];
      if ("punct" in head) {
        if (head.punct === "}" && nested) return directives;
        throw new NginxSyntaxError(`unexpected \`${head.punct}\``);
      }
      const args: string[] = [];
      for (;;) {
        const token = tokens[position++];
        if (token === undefined) throw new NginxSyntaxError(`\`${head.word}\` is not terminated by \`;\` or a block`);
        if ("word" in token) {
          args.push(token.word);
        } else if (token.punct === ";") {
          directives.push({ name: head.word, args });
          break;
        } else if (token.punct === "{") {
          directives.push({ name: head.word, args, block: parseBlock(true) });
          break;
        } else {
          throw new NginxSyntaxError(`\`${head.word}\` is not terminated by \`;\``);
        }
      }
    }
    if (nested) throw new NginxSyntaxError("a block is not closed");
    return directives;
  };
  return parseBlock(false);
}

/** A location and the blocks around it, innermost last: http, server, location(s). */
export interface LocationContext {
  readonly location: Directive;
  /** Every level from the top (main) to the location itself. */
  readonly levels: readonly (readonly Directive[])[];
  readonly server: Directive;
}

/** Every location of every server in the http block, nested locations included. */
export function locations(conf: readonly Directive[]): LocationContext[] {
  const found: LocationContext[] = [];
  const visit = (directives: readonly Directive[], levels: readonly (readonly Directive[])[], server: Directive | undefined) => {
    for (const directive of directives) {
      if (!directive.block) continue;
      const inner = [...levels, directive.block];
      if (directive.name === "location" && server) found.push({ location: directive, levels: inner, server });
      if (["http", "server", "location"].includes(directive.name)) visit(directive.block, inner, directive.name === "server" ? directive : server);
    }
  };
  visit(conf, [conf], undefined);
  return found;
}

/** Directives of a level, including those inside its `if` blocks (which belong to it). */
function atLevel(level: readonly Directive[], name: string): Directive[] {
  return level.flatMap((directive) => {
    if (directive.name === name) return [directive];
    return directive.name === "if" && directive.block ? atLevel(directive.block, name) : [];
  });
}

/** `limit_req` in effect: the innermost level that declares any wins, as nginx inherits it. */
export function effectiveAll(context: LocationContext, name: string): Directive[] {
  for (let index = context.levels.length - 1; index >= 0; index--) {
    const declared = atLevel(context.levels[index], name);
    if (declared.length > 0) return declared;
  }
  return [];
}

/** A single-valued directive in effect (`limit_req_status`), or undefined for nginx's default. */
export function effectiveOne(context: LocationContext, name: string): Directive | undefined {
  const declared = effectiveAll(context, name);
  return declared[declared.length - 1];
}

/** Top-level directives of the http block(s), e.g. `limit_req_zone`. */
export function httpDirectives(conf: readonly Directive[], name: string): Directive[] {
  return conf.filter((directive) => directive.name === "http").flatMap((http) => (http.block ?? []).filter((directive) => directive.name === name));
}

/** True when the location (or an `if` inside it) hands requests to an upstream. */
export function isProxied(location: Directive): boolean {
  return ["proxy_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass", "grpc_pass"].some((name) => atLevel(location.block ?? [], name).length > 0);
}
