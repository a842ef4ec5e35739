import Dockerode from "dockerode";

/**
 * The Docker engine the e2e tier drives: the local daemon (DOCKER_HOST or the default socket),
 * the one scripts/setup-test-host.sh starts.
 */

let client: Dockerode | undefined;

/** Every Engine API call fails after this long instead of hanging a test. */
const REQUEST_TIMEOUT_MS = 120_000;

export function docker(): Dockerode {
  client ??= new Dockerode({ timeout: REQUEST_TIMEOUT_MS });
  return client;
}

/** stdout and stderr of a non-TTY stream: 8-byte frame headers (stream, 0, 0, 0, size BE32). */
export function demultiplex(buffer: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const stream = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    const frame = buffer.subarray(offset + 8, offset + 8 + size);
    (stream === 2 ? err : out).push(frame);
    offset += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

/** The last lines a container wrote (stdout and stderr interleaved as frames), for diagnostics. */
export async function containerLogTail(id: string, lines = 40): Promise<string> {
  try {
    const buffer = await docker().getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false });
    const { stdout, stderr } = demultiplex(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer)));
    return [stdout.trimEnd(), stderr.trimEnd()].filter((text) => text !== "").join("\n");
  } catch (error) {
    return `(no logs: ${error instanceof Error ? error.message : String(error)})`;
  }
}

/** True when the engine answers "no such container/network/volume/image". */
export function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { statusCode?: number }).statusCode === 404;
}
