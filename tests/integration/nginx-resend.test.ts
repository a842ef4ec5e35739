import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseStackConfig } from "../../components/config";
import { renderMaintenancePage } from "../../components/render/maintenance-page";
import { renderNginxConf, renderUpstreamServers } from "../../components/render/nginx-conf";
import { UNHEALTHY_BODY } from "../../components/render/nginx-error-pages";
import { describeWithBinaries, findBinary, findTestNginx } from "./support/binaries";
import {
  makeSelfSignedCertificate, makeWorldReadable, request, startNginx, startStandInOrchestrator,
  type Reply, type RequestOptions, type RunningNginx, type StandInOrchestrator,
} from "./support/nginx";
import { freePort } from "./support/processes";

jest.setTimeout(60_000);

const SERVER_NAME = "dean.example.org";
const settings = parseStackConfig({
  environment: "prod",
  nginx: { serverName: SERVER_NAME, bindAddress: "0.0.0.0", rateLimit: { ratePerSecond: 100, burst: 100, nodelay: true } },
}).nginx;

/**
 * A replica that takes a request and dies before answering: it reads up to the end of the
 * request's headers, then closes the connection. What it read is counted.
 */
async function startDyingReplica(): Promise<{ port: number; received: () => number; close: () => Promise<void> }> {
  let received = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (text.includes("\r\n\r\n")) {
        received++;
        socket.destroy();
      }
    });
    socket.on("error", () => undefined);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port,
    received: () => received,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

describeWithBinaries("a request the replicas' upstream gave up on (render/nginx-resend.ts)", { nginx: findTestNginx(), openssl: findBinary("openssl") }, (bin) => {
  let dir: string;
  let tls: { certificatePath: string; keyPath: string };
  let alias: StandInOrchestrator;
  const running: RunningNginx[] = [];

  /** nginx whose upstream is the one server 127.0.0.1:upstreamPort, the alias the stand-in. */
  const launch = async (upstreamPort: number, name: string): Promise<RunningNginx> => {
    const conf = renderNginxConf({
      nginx: settings,
      resolver: "127.0.0.1",
      replicaAlias: { host: "127.0.0.1", port: alias.port },
      tlsCertificatePath: tls.certificatePath,
      tlsKeyPath: tls.keyPath,
      maintenancePageDir: dir,
    });
    const server = await startNginx(bin.nginx, { conf, upstreamServers: renderUpstreamServers(["127.0.0.1"], upstreamPort) }, dir, name);
    running.push(server);
    return server;
  };
  const send = (server: RunningNginx, pathAndQuery: string, options: RequestOptions = {}): Promise<Reply> =>
    request(`https://127.0.0.1:${server.httpsPort}${pathAndQuery}`, { serverName: SERVER_NAME, ...options });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dean-nginx-resend-"));
    tls = makeSelfSignedCertificate(bin.openssl, dir);
    writeFileSync(path.join(dir, "maintenance.html"), renderMaintenancePage());
    makeWorldReadable(dir, ["maintenance.html"]);
    alias = await startStandInOrchestrator();
  });

  afterEach(() => {
    alias.seen.length = 0;
  });

  afterAll(async () => {
    for (const server of running) await server.stop();
    await alias?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("no replica received it: it is sent once more by the alias, a POST with its body included, and /health too", async () => {
    // Nothing listens on the upstream's one server: every connect is refused, nothing is sent.
    const server = await launch(await freePort(), "unsent");

    const get = await send(server, "/api/agents?page=2");
    expect([get.status, JSON.parse(get.body)]).toEqual([200, { path: "/api/agents?page=2", method: "GET" }]);
    // The resent answer goes through the same edge: the orchestrator's diagnostics stay hidden.
    expect(get.headers["x-replica"]).toBeUndefined();
    expect(get.headers["cache-control"]).toBe("no-store");

    const post = await send(server, "/api/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: `{"user":"ops"}` });
    expect(post.status).toBe(200);
    const health = await send(server, "/health");
    expect([health.status, JSON.parse(health.body)]).toEqual([200, { status: "healthy" }]);

    expect(alias.seen.map((seen) => [seen.method, seen.url, seen.body])).toEqual([
      ["GET", "/api/agents?page=2", ""],
      ["POST", "/api/auth/login", `{"user":"ops"}`],
      ["GET", "/health", ""],
    ]);
    // As the upstream would have sent it: the configured Host, the client's address.
    expect(alias.seen[1].headers).toMatchObject({ host: SERVER_NAME, "x-real-ip": "127.0.0.1", "content-type": "application/json" });
  });

  test("a replica received it and failed: it is never sent again (a POST must not run twice), the client gets the 502", async () => {
    const dying = await startDyingReplica();
    try {
      const server = await launch(dying.port, "sent");
      const post = await send(server, "/api/agents", { method: "POST", headers: { "content-type": "application/json" }, body: `{"name":"a"}` });
      expect([post.status, post.headers["content-type"], JSON.parse(post.body)]).toEqual([502, "application/json", { detail: "Bad Gateway" }]);
      const get = await send(server, "/api/agents");
      expect([get.status, JSON.parse(get.body)]).toEqual([502, { detail: "Bad Gateway" }]);
      const health = await send(server, "/health");
      expect([health.status, health.body]).toEqual([503, UNHEALTHY_BODY]);
      // Each reached the dying replica (a GET is retried once on the one server: at least once each)...
      expect(dying.received()).toBeGreaterThanOrEqual(3);
      // ...and none was sent to the alias.
      expect(alias.seen).toEqual([]);
    } finally {
      await dying.close();
    }
  });
});
