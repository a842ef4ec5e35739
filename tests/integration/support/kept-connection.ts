import tls from "node:tls";
import { DEFAULT_SERVER_NAME } from "./nginx";

export interface KeptReply {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface KeptConnection {
  readonly socket: tls.TLSSocket;
  /** One GET on this connection (never a new one, unlike an HTTP agent), answered within 10 s. */
  get(pathAndQuery: string): Promise<KeptReply>;
  /** Settles when the server ends the connection; rejects if it has not within 10 s of connecting. */
  readonly closedByServer: Promise<void>;
}

const REPLY_TIMEOUT_MS = 10_000;

/** The body of a chunked response starting at `start`: its text and where it ends, or undefined if incomplete. */
function parseChunked(buffer: Buffer, start: number): { body: string; end: number } | undefined {
  const chunks: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buffer.indexOf("\r\n", at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(buffer.subarray(at, lineEnd).toString("latin1"), 16);
    if (Number.isNaN(size)) throw new Error("a malformed chunk size");
    const dataStart = lineEnd + 2;
    // The last chunk (size 0) is followed by an empty trailer line.
    if (buffer.length < dataStart + size + 2) return undefined;
    if (size === 0) return { body: Buffer.concat(chunks).toString(), end: dataStart + 2 };
    chunks.push(buffer.subarray(dataStart, dataStart + size));
    at = dataStart + size + 2;
  }
}

/** Parses one response (Content-Length or chunked) from the front of `buffer`, or undefined if incomplete. */
function parseReply(buffer: Buffer): { reply: KeptReply; rest: Buffer } | undefined {
  const headerEnd = buffer.indexOf("\r\n\r\n");
  if (headerEnd < 0) return undefined;
  const [statusLine, ...headerLines] = buffer.subarray(0, headerEnd).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(statusLine.split(" ")[1]);
  const bodyStart = headerEnd + 4;
  if (headers["transfer-encoding"] === "chunked") {
    const chunked = parseChunked(buffer, bodyStart);
    return chunked && { reply: { status, headers, body: chunked.body }, rest: buffer.subarray(chunked.end) };
  }
  const length = Number(headers["content-length"] ?? 0);
  if (buffer.length < bodyStart + length) return undefined;
  return { reply: { status, headers, body: buffer.subarray(bodyStart, bodyStart + length).toString() }, rest: buffer.subarray(bodyStart + length) };
}

/**
 * One TLS connection to nginx on 127.0.0.1:port, kept between requests the way a browser or
 * an HTTP agent keeps it, but never silently replaced: a request on a connection the server
 * closed fails instead of being resent.
 */
export function keptConnection(port: number, serverName = DEFAULT_SERVER_NAME): Promise<KeptConnection> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: serverName, rejectUnauthorized: false });
    let buffer: Buffer = Buffer.alloc(0);
    let waiting: { resolve: (reply: KeptReply) => void; reject: (error: Error) => void } | undefined;
    let ended = false;
    const endListeners: (() => void)[] = [];
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const current = waiting;
      if (!current) return;
      try {
        const parsed = parseReply(buffer);
        if (!parsed) return;
        buffer = parsed.rest;
        waiting = undefined;
        current.resolve(parsed.reply);
      } catch (error) {
        waiting = undefined;
        current.reject(error as Error);
      }
    });
    const onEnd = (): void => {
      ended = true;
      waiting?.reject(new Error("the server closed the connection before answering"));
      waiting = undefined;
      for (const listener of endListeners) listener();
    };
    socket.on("end", onEnd);
    socket.on("close", onEnd);
    socket.on("error", (error) => {
      waiting?.reject(error);
      waiting = undefined;
    });
    socket.once("secureConnect", () => {
      const get = (pathAndQuery: string): Promise<KeptReply> =>
        new Promise((resolveReply, rejectReply) => {
          if (ended) {
            rejectReply(new Error("the connection is closed"));
            return;
          }
          const timer = setTimeout(() => rejectReply(new Error(`no reply to GET ${pathAndQuery} within ${REPLY_TIMEOUT_MS} ms`)), REPLY_TIMEOUT_MS);
          waiting = {
            resolve: (reply) => { clearTimeout(timer); resolveReply(reply); },
            reject: (error) => { clearTimeout(timer); rejectReply(error); },
          };
          socket.write(`GET ${pathAndQuery} HTTP/1.1\r\nHost: ${serverName}:${port}\r\n\r\n`);
        });
      const closedByServer = new Promise<void>((resolveClosed, rejectClosed) => {
        if (ended) return resolveClosed();
        const timer = setTimeout(() => rejectClosed(new Error(`the server did not close the connection within ${REPLY_TIMEOUT_MS} ms`)), REPLY_TIMEOUT_MS);
        endListeners.push(() => { clearTimeout(timer); resolveClosed(); });
      });
      // Awaited only by tests that expect the close; never an unhandled rejection otherwise.
      closedByServer.catch(() => undefined);
      resolve({ socket, get, closedByServer });
    });
    socket.once("error", reject);
  });
}
