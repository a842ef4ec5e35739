import { execFileSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";
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
 * 127.0.0.1 ports: the only rewrite the tests make.
 */
export function bindToLoopback(renderedConf: string, httpPort: number, httpsPort: number): string {
  const conf = renderedConf
    .replace(/^(\s*)listen 80 default_server;$/m, `$1listen 127.0.0.1:${httpPort} default_server;`)
    .replace(/^(\s*)listen 443 ssl default_server;$/m, `$1listen 127.0.0.1:${httpsPort} ssl default_server;`);
  if (!conf.includes(`127.0.0.1:${httpPort} default_server`) || !conf.includes(`127.0.0.1:${httpsPort} ssl default_server`)) {
    throw new Error("could not rewrite the listen directives of the rendered nginx.conf");
  }
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

/** Runs nginx in the foreground from a rendered nginx.conf, on free 127.0.0.1 ports. */
export async function startNginx(nginx: string, renderedConf: string, dir: string, name: string): Promise<RunningNginx> {
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const confPath = path.join(dir, `${name}.conf`);
  writeFileSync(confPath, bindToLoopback(renderedConf, httpPort, httpsPort));
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
  readonly tls?: { readonly minVersion?: "TLSv1.2" | "TLSv1.3"; readonly maxVersion?: "TLSv1.2" | "TLSv1.3" };
}

/** One request on a fresh connection (so concurrent calls are concurrent connections), bounded by a timeout. */
export function request(url: string, options: RequestOptions = {}): Promise<Reply & { readonly tlsProtocol?: string }> {
  const target = new URL(url);
  const secure = target.protocol === "https:";
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
    const common = { method: options.method ?? "GET", headers: options.headers, agent: false as const, timeout: 10_000 };
    const req = secure
      ? https.request(target, { ...common, rejectUnauthorized: false, servername: "localhost", ...options.tls }, handler)
      : http.request(target, common, handler);
    req.on("timeout", () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** What the stand-in orchestrator saw of one proxied request. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
}

export interface StandInOrchestrator {
  readonly port: number;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/** A tiny HTTP server on 127.0.0.1 standing in for the orchestrator: /health and an echo of everything else. */
export async function startStandInOrchestrator(): Promise<StandInOrchestrator> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    req.resume();
    const body = req.url === "/health" ? { status: "healthy" } : { path: req.url, method: req.method };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
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
