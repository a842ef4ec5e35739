/**
 * A one-file ustar archive, the body of the Engine API's "extract an archive into a
 * container" (PUT /containers/{id}/archive). The Docker provider uploads each `uploads` entry
 * as such an archive holding only the file, extracted at "/"; the engine creates missing parent
 * directories (root-owned, 0755) itself.
 */

const BLOCK = 512;

function writeString(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > length) throw new Error(`tar header field too long: ${value}`);
  bytes.copy(header, offset);
}

/** An octal number field: zero-padded digits followed by NUL, as GNU and Go tar write them. */
function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  writeString(header, offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
}

/** Splits a long path into ustar's prefix (155) and name (100) at a slash. */
function splitPath(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: "", name: path };
  for (let index = path.lastIndexOf("/"); index > 0; index = path.lastIndexOf("/", index - 1)) {
    const prefix = path.slice(0, index);
    const name = path.slice(index + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  throw new Error(`path too long for a ustar archive: ${path}`);
}

export interface TarFile {
  /** Absolute path inside the container. */
  readonly path: string;
  readonly content: Buffer;
  /** Permission bits, e.g. 0o644. */
  readonly mode: number;
}

/** A ustar archive of one regular file owned by root. */
export function singleFileTar(file: TarFile, mtimeSeconds = Math.floor(Date.now() / 1000)): Buffer {
  const relative = file.path.replace(/^\/+/, "");
  if (relative === "" || relative.endsWith("/")) throw new Error(`not a file path: ${file.path}`);
  const { prefix, name } = splitPath(relative);
  const header = Buffer.alloc(BLOCK, 0);
  writeString(header, 0, 100, name);
  writeOctal(header, 100, 8, file.mode & 0o7777);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, file.content.length);
  writeOctal(header, 136, 12, mtimeSeconds);
  header.fill(0x20, 148, 156);
  writeString(header, 156, 1, "0");
  writeString(header, 257, 6, "ustar\0");
  writeString(header, 263, 2, "00");
  writeString(header, 265, 32, "root");
  writeString(header, 297, 32, "root");
  writeString(header, 345, 155, prefix);
  let checksum = 0;
  for (const byte of header) checksum += byte;
  writeString(header, 148, 8, `${checksum.toString(8).padStart(6, "0")}\0 `);
  const padding = Buffer.alloc((BLOCK - (file.content.length % BLOCK)) % BLOCK, 0);
  // Two zero blocks end the archive.
  return Buffer.concat([header, file.content, padding, Buffer.alloc(2 * BLOCK, 0)]);
}
