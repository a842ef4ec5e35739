/**
 * Reading a resource's inputs with an explicit allow-list. The harness supports exactly the
 * fields the program uses: any other key, or a value of another shape, is an error that names
 * the resource type, the resource and the key, so nothing the program declares is silently
 * dropped on the way to the Docker engine or PostgreSQL.
 */

export class UnsupportedInput extends Error {
  constructor(type: string, resource: string, key: string, why: string) {
    super(`${type} ${resource}: input ${key} ${why}; the e2e deploy harness does not support it (tests/e2e/harness)`);
    this.name = "UnsupportedInput";
  }
}

type Plain = Record<string, unknown>;

function isPlainObject(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Typed, allow-listed access to one object of inputs (the top level or a nested block). */
export class InputReader {
  private constructor(
    private readonly type: string,
    private readonly resource: string,
    private readonly path: string,
    private readonly values: Plain,
  ) {}

  /** Checks every key of `values` against `allowed` before anything is read. */
  static of(type: string, resource: string, values: Record<string, unknown>, allowed: readonly string[], path = ""): InputReader {
    const reader = new InputReader(type, resource, path, values);
    for (const key of Object.keys(values)) {
      if (!allowed.includes(key)) throw reader.unsupported(key, `is not in the harness's allow-list (${allowed.join(", ")})`);
    }
    return reader;
  }

  private keyPath(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  private unsupported(key: string, why: string): UnsupportedInput {
    return new UnsupportedInput(this.type, this.resource, this.keyPath(key), why);
  }

  has(key: string): boolean {
    return this.values[key] !== undefined && this.values[key] !== null;
  }

  string(key: string): string {
    const value = this.values[key];
    if (typeof value !== "string") throw this.unsupported(key, `must be a string (got ${JSON.stringify(value)})`);
    return value;
  }

  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  number(key: string): number {
    const value = this.values[key];
    if (typeof value !== "number" || !Number.isFinite(value)) throw this.unsupported(key, `must be a number (got ${JSON.stringify(value)})`);
    return value;
  }

  optionalNumber(key: string): number | undefined {
    return this.has(key) ? this.number(key) : undefined;
  }

  boolean(key: string): boolean {
    const value = this.values[key];
    if (typeof value !== "boolean") throw this.unsupported(key, `must be a boolean (got ${JSON.stringify(value)})`);
    return value;
  }

  optionalBoolean(key: string): boolean | undefined {
    return this.has(key) ? this.boolean(key) : undefined;
  }

  /** A number given as a string, as the engine passes a provider's inputs. */
  numericString(key: string): number {
    const text = this.string(key);
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw this.unsupported(key, `must be a number (got ${JSON.stringify(text)})`);
    return Number(text);
  }

  /** A boolean given as a string ("true"/"false"), as the engine passes a provider's inputs. */
  booleanString(key: string): boolean {
    const text = this.string(key);
    if (text !== "true" && text !== "false") throw this.unsupported(key, `must be "true" or "false" (got ${JSON.stringify(text)})`);
    return text === "true";
  }

  stringArray(key: string): string[] {
    const value = this.values[key];
    if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
      throw this.unsupported(key, `must be a list of strings (got ${JSON.stringify(value)})`);
    }
    return value as string[];
  }

  optionalStringArray(key: string): string[] {
    return this.has(key) ? this.stringArray(key) : [];
  }

  /** A map of strings (e.g. logOpts, a command's environment). */
  stringMap(key: string): Record<string, string> {
    const value = this.values[key];
    if (!isPlainObject(value) || !Object.values(value).every((item) => typeof item === "string")) {
      throw this.unsupported(key, `must be a map of strings (got ${JSON.stringify(value)})`);
    }
    return value as Record<string, string>;
  }

  optionalStringMap(key: string): Record<string, string> {
    return this.has(key) ? this.stringMap(key) : {};
  }

  /** A nested block, itself allow-listed. */
  block(key: string, allowed: readonly string[]): InputReader {
    const value = this.values[key];
    if (!isPlainObject(value)) throw this.unsupported(key, `must be an object (got ${JSON.stringify(value)})`);
    return InputReader.of(this.type, this.resource, value, allowed, this.keyPath(key));
  }

  /** A list of nested blocks, each allow-listed. */
  blocks(key: string, allowed: readonly string[]): InputReader[] {
    if (!this.has(key)) return [];
    const value = this.values[key];
    if (!Array.isArray(value)) throw this.unsupported(key, `must be a list (got ${JSON.stringify(value)})`);
    return value.map((item, index) => {
      if (!isPlainObject(item)) throw this.unsupported(`${key}[${index}]`, `must be an object (got ${JSON.stringify(item)})`);
      return InputReader.of(this.type, this.resource, item, allowed, this.keyPath(`${key}[${index}]`));
    });
  }

  /** Raw value for inputs compared as a whole (e.g. a command's triggers). */
  raw(key: string): unknown {
    return this.values[key];
  }

  /** An error about a value the harness reads but cannot honour (e.g. keepLocally false). */
  refuse(key: string, why: string): UnsupportedInput {
    return this.unsupported(key, why);
  }
}
