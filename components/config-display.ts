/**
 * How refusals quote what was given. A refused value is echoed so the operator sees what was
 * wrong, but bounded: a 100,000-character value or a YAML alias bomb must not turn one line
 * of an error into megabytes. Serialising stops as soon as the bound is reached, so even a
 * huge or cyclic value costs no more than the bound.
 */

/** Characters of a value shown before it is cut with an ellipsis. */
export const SHOWN_VALUE_CHARACTERS = 80;

/** Collects text until it holds more than `limit` characters, then ignores the rest. */
class BoundedText {
  text = "";
  constructor(readonly limit: number) {}

  get full(): boolean {
    return this.text.length > this.limit;
  }

  add(piece: string): void {
    if (!this.full) this.text += piece;
  }
}

function write(value: unknown, out: BoundedText, open: Set<object>): void {
  if (out.full) return;
  if (typeof value === "string") {
    // Quote only what can be shown: the slice keeps a huge string from being escaped whole.
    out.add(JSON.stringify(value.slice(0, out.limit + 1)));
  } else if (typeof value === "number") {
    // JSON would print NaN and Infinity as null, which hides what was really given.
    out.add(String(value));
  } else if (value === null || typeof value === "boolean") {
    out.add(String(value));
  } else if (typeof value === "object") {
    if (open.has(value)) {
      out.add("<cycle>");
      return;
    }
    open.add(value);
    if (Array.isArray(value)) {
      out.add("[");
      value.forEach((item: unknown, index) => {
        if (index > 0) out.add(",");
        write(item === undefined ? null : item, out, open);
      });
      out.add("]");
    } else {
      out.add("{");
      Object.keys(value).forEach((key, index) => {
        if (index > 0) out.add(",");
        out.add(`${JSON.stringify(key.slice(0, out.limit + 1))}:`);
        write((value as Record<string, unknown>)[key], out, open);
      });
      out.add("}");
    }
    open.delete(value);
  } else {
    out.add(`<${typeof value}>`);
  }
}

/** The size of a value that was cut, so the operator knows how much was not shown. */
function sizeOf(value: unknown): string {
  if (typeof value === "string") return `${value.length} characters`;
  if (Array.isArray(value)) return `${value.length} items`;
  if (typeof value === "object" && value !== null) return `${Object.keys(value).length} keys`;
  return "cut";
}

/** A value as JSON, cut to `limit` characters with an ellipsis and its original size. */
export function showValue(value: unknown, limit: number = SHOWN_VALUE_CHARACTERS): string {
  if (value === undefined) return "nothing";
  const out = new BoundedText(limit);
  write(value, out, new Set());
  return out.full ? `${out.text.slice(0, limit)}… (${sizeOf(value)})` : out.text;
}

/** A plain setting name: printed as is. */
export const PLAIN_NAME = /^[A-Za-z0-9_$-]{1,64}$/;

/** A name (of a key, say) as it can be printed: as is when plain, else quoted and bounded. */
export function showName(name: string, plain: RegExp = PLAIN_NAME): string {
  return plain.test(name) ? name : showValue(name, 40);
}
