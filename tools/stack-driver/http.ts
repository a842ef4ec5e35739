import * as http from "node:http";
import * as https from "node:https";

/**
 * HTTP(S) requests to the stack's published ports. Traffic goes to 127.0.0.1 only; TLS is
 * verified against the stack's own self-signed certificate (read from the stack's state), with
 * the server name it was made for.
 */

const LOOPBACK = "127.0.0.1";

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface RequestOptions {
  readonly port: number;
  readonly path: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** PEM of the certificate to trust (HTTPS only). */
  readonly ca?: string;
  /** TLS server name (SNI and certificate check), and the Host header: nginx answers only its server name. */
  readonly servername?: string;
  /** A keep-alive agent, to send requests over connections opened beforehand. */
  readonly agent?: https.Agent;
  readonly timeoutMs?: number;
}

function send(transport: typeof http | typeof https, options: RequestOptions, extra: https.RequestOptions): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body, "utf8");
    const request = transport.request({
      host: LOOPBACK,
      port: options.port,
      path: options.path,
      method: options.method ?? "GET",
      headers: { ...(body ? { "content-type": "application/json", "content-length": String(body.length) } : {}), ...options.headers },
      timeout: options.timeoutMs ?? 20_000,
      ...extra,
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`${options.method ?? "GET"} ${options.path} on port ${options.port} timed out`)));
    request.on("error", reject);
    request.end(body);
  });
}

/** The stacks' default server name (dean:nginx.serverName). */
const DEFAULT_SERVER_NAME = "localhost";

export function httpsRequest(options: RequestOptions): Promise<HttpResponse> {
  if (!options.ca) throw new Error("httpsRequest needs the certificate to trust (ca)");
  const servername = options.servername ?? DEFAULT_SERVER_NAME;
  return send(https, { ...options, headers: { host: servername, ...options.headers } }, { ca: options.ca, servername, rejectUnauthorized: true, agent: options.agent });
}

export function httpRequest(options: Omit<RequestOptions, "ca" | "agent">): Promise<HttpResponse> {
  return send(http, { ...options, headers: { host: options.servername ?? DEFAULT_SERVER_NAME, ...options.headers } }, {});
}

export function jsonBody<T>(response: HttpResponse): T {
  try {
    return JSON.parse(response.body) as T;
  } catch {
    throw new Error(`expected JSON, got ${response.status}: ${response.body.slice(0, 300)}`);
  }
}

export function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(", ") : value;
}
