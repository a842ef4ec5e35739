import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import path from "node:path";
import tls from "node:tls";
import { UPSTREAM_SERVERS_FILE } from "../../../components/render/nginx-conf";
import { freePort, runCaptured, startProcess, stopPid, waitUntilListening, type RunningProcess } from "./processes";

/** A self-signed certificate and key for `localhost`, made with openssl in `dir`. */
export function makeSelfSignedCertificate(openssl: string, dir: string): { certificatePath: string; keyPath: string } {
  const certificatePath = path.join(dir, "tls.crt");
  const keyPath = path.join(dir, "tls.key");
  execFileSync(
    openssl,
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2", "-subj", "/CN=localhost", "-keyout", keyPath, "-out", certificatePath],
    { stdio: "pipe", timeout: 30_000 },
  );
  return { certificatePath, keyPath };
}

/** A rendered nginx.conf and the upstream servers file it includes from its own directory. */
export interface NginxFiles {
  readonly conf: string;
  readonly upstreamServers: string;
}

/** Writes `files` into the directory `confDir` (created) as a release does; returns nginx.conf's path. */
export function writeNginxFiles(confDir: string, files: NginxFiles): string {
  mkdirSync(confDir, { recursive: true, mode: 0o755 });
  writeFileSync(path.join(confDir, UPSTREAM_SERVERS_FILE), files.upstreamServers);
  const confPath = path.join(confDir, "nginx.conf");
  writeFileSync(confPath, files.conf);
  return confPath;
}

/** `nginx -t` on a config file; returns nginx's own report (it writes it to stderr). */
export async function nginxTest(nginx: string, confPath: string, prefixDir: string): Promise<{ ok: boolean; report: string }> {
  const result = await runCaptured(nginx, ["-t", "-p", prefixDir, "-e", "stderr", "-c", confPath], { timeoutMs: 30_000 });
  return { ok: result.code === 0, report: result.stdout + result.stderr };
}

export interface RunningNginx {
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly process: RunningProcess;
  stop(): Promise<void>;
}

/**
 * The rendered nginx.conf with the container's `listen 80` / `listen 443` rewritten to
 * 127.0.0.1 ports: the only rewrite the tests make. Both forms are rewritten, the catch-all
 * servers' `listen 80 default_server;` / `listen 443 ssl default_server;` and the named
 * servers' `listen 80;` / `listen 443 ssl;`, each port to the same loopback port.
 */
export function bindToLoopback(renderedConf: string, httpPort: number, httpsPort: number): string {
  const conf = renderedConf
    .replace(/^(\s*)listen 80 default_server;$/m, `$1listen 127.0.0.1:${httpPort} default_server;`)
    .replace(/^(\s*)listen 443 ssl default_server;$/m, `$1listen 127.0.0.1:${httpsPort} ssl default_server;`)
    .replace(/^(\s*)listen 80;$/gm, `$1listen 127.0.0.1:${httpPort};`)
    .replace(/^(\s*)listen 443 ssl;$/gm, `$1listen 127.0.0.1:${httpsPort} ssl;`);
  if (!conf.includes(`127.0.0.1:${httpPort} default_server`) || !conf.includes(`127.0.0.1:${httpsPort} ssl default_server`)) {
    throw new Error("could not rewrite the listen directives of the rendered nginx.conf");
  }
  // A listen left on the container's ports would bind 0.0.0.0:80 or :443, or fail as non-root.
  const leftOver = /^\s*listen (80|443)\b.*$/m.exec(conf);
  if (leftOver) throw new Error(`a listen directive of the rendered nginx.conf was not rewritten: ${leftOver[0].trim()}`);
  return conf;
}

/** nginx in the foreground on `confPath`, its pid file in `dir` (via -g), started once both ports listen. */
export async function runNginx(nginx: string, confPath: string, dir: string, name: string, ports: readonly number[]): Promise<RunningProcess> {
  const running = startProcess(nginx, ["-p", dir, "-e", "stderr", "-c", confPath, "-g", `daemon off; pid ${path.join(dir, `${name}.pid`)};`], {
    logPrefix: path.join(dir, name),
  });
  await waitUntilListening(running, ports, `nginx (${name})`);
  return running;
}

/** Runs nginx in the foreground from a rendered nginx.conf (in `dir`/`name`/), on free 127.0.0.1 ports. */
export async function startNginx(nginx: string, files: NginxFiles, dir: string, name: string): Promise<RunningNginx> {
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const confPath = writeNginxFiles(path.join(dir, name), { ...files, conf: bindToLoopback(files.conf, httpPort, httpsPort) });
  const running = await runNginx(nginx, confPath, dir, name, [httpPort, httpsPort]);
  return { httpPort, httpsPort, process: running, stop: () => stopPid(running.pid, "SIGTERM", 10_000) };
}

/** Workers run as an unprivileged user: they must be able to read the maintenance page. */
export function makeWorldReadable(dir: string, files: readonly string[]): void {
  chmodSync(dir, 0o755);
  for (const file of files) chmodSync(path.join(dir, file), 0o644);
}

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: http.OutgoingHttpHeaders;
  /** The request body, sent with its Content-Length. */
  readonly body?: string;
  readonly tls?: { readonly minVersion?: "TLSv1.2" | "TLSv1.3"; readonly maxVersion?: "TLSv1.2" | "TLSv1.3" };
  /**
   * The server name the client asks for, as TLS SNI and in the Host header (with the port, as
   * a browser sends it; a `host` in `headers` wins). Default `localhost`: the default
   * dean:nginx.serverName and the test certificate's name. nginx answers only that name.
   */
  readonly serverName?: string;
}

/** The name request() asks for unless told otherwise. */
export const DEFAULT_SERVER_NAME = "localhost";

/** One request on a fresh connection (so concurrent calls are concurrent connections), bounded by a timeout. */
export function request(url: string, options: RequestOptions = {}): Promise<Reply & { readonly tlsProtocol?: string }> {
  const target = new URL(url);
  const secure = target.protocol === "https:";
  const serverName = options.serverName ?? DEFAULT_SERVER_NAME;
  return new Promise((resolve, reject) => {
    const handler = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const socket = res.socket as { getProtocol?: () => string | null } | null;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), tlsProtocol: socket?.getProtocol?.() ?? undefined });
      });
      res.on("error", reject);
    };
    const headers = { host: target.port ? `${serverName}:${target.port}` : serverName, ...options.headers };
    const common = { method: options.method ?? "GET", headers, agent: false as const, timeout: 10_000 };
    const req = secure
      ? https.request(target, { ...common, rejectUnauthorized: false, servername: serverName, ...options.tls }, handler)
      : http.request(target, common, handler);
    req.on("timeout", () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

/**
 * Sends `text` as is on a plain TCP connection to 127.0.0.1:port and resolves with everything
 * received until the server closes it: "" when nginx drops the request (444). A reset after
 * nginx closed with input unread counts as that close.
 */
export function rawExchange(port: number, text: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    const done = (): void => resolve(Buffer.concat(chunks).toString("latin1"));
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no close from 127.0.0.1:${port} within 10 s`)));
    socket.on("connect", () => socket.end(text));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", done);
    socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" ? done() : reject(error)));
  });
}

/** How a TLS handshake with 127.0.0.1:port ended: the protocol agreed, or the error. */
export type Handshake = { readonly ok: true; readonly protocol: string } | { readonly ok: false; readonly error: string };

/** A TLS handshake alone, sending `serverName` as SNI (none when undefined), then closed. */
export function tlsHandshake(port: number, serverName: string | undefined): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: serverName, rejectUnauthorized: false });
    socket.setTimeout(10_000, () => socket.destroy(new Error("TLS handshake timed out")));
    socket.on("secureConnect", () => {
      resolve({ ok: true, protocol: socket.getProtocol() ?? "" });
      socket.destroy();
    });
    socket.on("error", (error) => resolve({ ok: false, error: error.message }));
  });
}

/** What the stand-in orchestrator saw of one proxied request. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface StandInOrchestrator {
  readonly port: number;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/** What a stand-in upstream answers one request with. */
export interface StandInAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * The diagnostic headers the real orchestrator sets on every response
 * (images/orchestrator/app/dean_orchestrator/main.py), which nginx must not pass on.
 */
export const ORCHESTRATOR_DIAGNOSTIC_HEADERS = { "x-replica": "0123456789ab", "x-dean-version": "1.0.0" } as const;

/** An HTTP server on 127.0.0.1 answering as `answer` says, in JSON, with the orchestrator's diagnostic headers. */
export async function startStandInUpstream(answer: (req: http.IncomingMessage) => StandInAnswer): Promise<StandInOrchestrator> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString() });
      const { status, body } = answer(req);
      res.writeHead(status, { "content-type": "application/json", ...ORCHESTRATOR_DIAGNOSTIC_HEADERS });
      res.end(JSON.stringify(body));
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A tiny HTTP server on 127.0.0.1 standing in for the orchestrator: /health and an echo of everything else. */
export function startStandInOrchestrator(): Promise<StandInOrchestrator> {
  return startStandInUpstream((req) => ({
    status: 200,
    body: req.url === "/health" ? { status: "healthy" } : { path: req.url, method: req.method },
  }));
}
