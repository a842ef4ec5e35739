import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseStackConfig, type NginxSettings } from "../../components/config";
import { renderMaintenancePage } from "../../components/render/maintenance-page";
import { MAINTENANCE_RETRY_AFTER_SECONDS, renderNginxConf } from "../../components/render/nginx-conf";
import { describeWithBinaries, findBinary } from "./support/binaries";
import { startStandInDns } from "./support/dns";
import {
  makeSelfSignedCertificate,
  makeWorldReadable,
  nginxTest,
  request,
  startNginx,
  startStandInOrchestrator,
  type Reply,
  type RunningNginx,
  type StandInOrchestrator,
} from "./support/nginx";
import { waitFor } from "./support/processes";
import { expectZoneAdmitted, timed } from "../support/rate-limit";

jest.setTimeout(60_000);

const devLike = (extra: Record<string, unknown> = {}): NginxSettings => parseStackConfig({ environment: "dev", nginx: { httpPort: 8080, httpsPort: 8443, ...extra } }).nginx;

/** The production shape: 1 r/s with burst 5 (the runbook's numbers), a deny list, several auth paths. */
const prodLike = (extra: Record<string, unknown> = {}): NginxSettings =>
  parseStackConfig({
    environment: "prod",
    nginx: {
      serverName: "dean.example.org",
      bindAddress: "0.0.0.0",
      rateLimit: { ratePerSecond: 1, burst: 5, nodelay: true },
      authRateLimit: { ratePerMinute: 10, burst: 3, nodelay: true, paths: ["/api/auth/", "/api/login", "/api/token"] },
      connectionsPerIp: 50,
      blockedIps: ["203.0.113.7", "198.51.100.0/24"],
      ...extra,
    },
  }).nginx;

const statuses = (replies: readonly Reply[]): Record<number, number> => {
  const counts: Record<number, number> = {};
  for (const reply of replies) counts[reply.status] = (counts[reply.status] ?? 0) + 1;
  return counts;
};

describeWithBinaries("the rendered nginx.conf under real nginx", { nginx: findBinary("nginx"), openssl: findBinary("openssl") }, (bin) => {
  let dir: string;
  let tls: { certificatePath: string; keyPath: string };
  let orchestrator: StandInOrchestrator;
  const running: RunningNginx[] = [];

  const render = (nginx: NginxSettings, upstream: { host: string; port: number; resolver: string }): string =>
    renderNginxConf({
      nginx,
      upstreamHost: upstream.host,
      upstreamPort: upstream.port,
      resolver: upstream.resolver,
      tlsCertificatePath: tls.certificatePath,
      tlsKeyPath: tls.keyPath,
      maintenancePageDir: dir,
    });

  /** nginx proxying to the stand-in orchestrator by IP literal, so no DNS is involved. */
  const launch = async (nginx: NginxSettings, name: string): Promise<RunningNginx> => {
    const started = await startNginx(bin.nginx, render(nginx, { host: "127.0.0.1", port: orchestrator.port, resolver: "127.0.0.1" }), dir, name);
    running.push(started);
    return started;
  };

  const httpsUrl = (server: RunningNginx, pathAndQuery: string): string => `https://127.0.0.1:${server.httpsPort}${pathAndQuery}`;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dean-nginx-"));
    tls = makeSelfSignedCertificate(bin.openssl, dir);
    writeFileSync(path.join(dir, "maintenance.html"), renderMaintenancePage());
    makeWorldReadable(dir, ["maintenance.html"]);
    orchestrator = await startStandInOrchestrator();
  });

  afterAll(async () => {
    for (const server of running) await server.stop();
    await orchestrator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe("nginx -t accepts it as rendered for the container", () => {
    const variants: ReadonlyArray<[string, () => NginxSettings]> = [
      ["dev-like defaults", () => devLike()],
      ["dev-like in maintenance", () => devLike({ maintenance: true })],
      ["prod-like", () => prodLike()],
      ["prod-like in maintenance", () => prodLike({ maintenance: true })],
      ["burst 0 without nodelay, auth on /", () => prodLike({ rateLimit: { burst: 0, nodelay: false }, authRateLimit: { burst: 0, paths: ["/", "/api/login"] } })],
    ];
    test.each(variants)("%s", async (name, settings) => {
      // The Docker service name and Docker's DNS: a variable proxy_pass is resolved per request, not by -t.
      const confPath = path.join(dir, `t-${name.replace(/\W+/g, "-")}.conf`);
      writeFileSync(confPath, render(settings(), { host: "orchestrator", port: 8082, resolver: "127.0.0.11" }));
      const result = await nginxTest(bin.nginx, confPath, dir);
      expect(result.report).toContain("test is successful");
      expect(result.ok).toBe(true);
    });
  });

  describe("prod-like, serving", () => {
    test("/health is proxied to the orchestrator's /health with the forwarding headers", async () => {
      const server = await launch(prodLike(), "health");
      const before = orchestrator.seen.length;
      const reply = await request(httpsUrl(server, "/health"), { headers: { "x-forwarded-for": "6.6.6.6" } });
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ status: "healthy" });
      expect(reply.headers["strict-transport-security"]).toMatch(/max-age=\d+/);
      expect(reply.headers.server).toBe("nginx");
      const seen = orchestrator.seen.slice(before);
      expect(seen).toHaveLength(1);
      expect(seen[0].url).toBe("/health");
      expect(seen[0].headers).toMatchObject({
        "x-forwarded-proto": "https",
        "x-real-ip": "127.0.0.1",
        // A client-supplied X-Forwarded-For is replaced at the edge.
        "x-forwarded-for": "127.0.0.1",
        host: "127.0.0.1",
      });
      expect(seen[0].headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
    });

    test("/health is not rate limited", async () => {
      const server = await launch(prodLike(), "health-unlimited");
      const replies = await Promise.all(Array.from({ length: 30 }, () => request(httpsUrl(server, "/health"))));
      expect(statuses(replies)).toEqual({ 200: 30 });
    });

    /** 20 requests sent at once; what the zone admitted, checked against burst + 1 plus its refill. */
    const burstOf20 = async (send: (index: number) => Promise<Reply>, burst: number, perSecond: number): Promise<number> => {
      const { value: replies, seconds } = await timed(() => Promise.all(Array.from({ length: 20 }, (_, i) => send(i))));
      return expectZoneAdmitted(replies.map((reply) => reply.status), { admittedStatus: 200, burst, perSecond }, seconds);
    };

    test("20 concurrent API requests from one client: burst + 1 pass, the rest get 429", async () => {
      const settings = prodLike();
      const server = await launch(settings, "api-limit");
      const before = orchestrator.seen.length;
      const passed = await burstOf20((i) => request(httpsUrl(server, `/api/agents?page=${i}`)), settings.rateLimit.burst, settings.rateLimit.ratePerSecond);
      // The request URI reaches the orchestrator unchanged.
      const urls = orchestrator.seen.slice(before).map((seen) => seen.url);
      expect(urls).toHaveLength(passed);
      for (const url of urls) expect(url).toMatch(/^\/api\/agents\?page=\d+$/);
    });

    test("an auth path applies the stricter auth limit", async () => {
      const settings = prodLike();
      const server = await launch(settings, "auth-limit");
      const { burst, ratePerMinute } = settings.authRateLimit;
      await burstOf20(() => request(httpsUrl(server, "/api/login"), { method: "POST" }), burst, ratePerMinute / 60);
    });

    test("an auth path applies the general API limit too", async () => {
      // A generous auth limit: only the general limit can stop these requests.
      const settings = prodLike({ authRateLimit: { ratePerMinute: 60_000, burst: 100, paths: ["/api/auth/", "/api/login"] } });
      const server = await launch(settings, "auth-and-api-limit");
      await burstOf20(() => request(httpsUrl(server, "/api/auth/refresh"), { method: "POST" }), settings.rateLimit.burst, settings.rateLimit.ratePerSecond);
    });

    test("HTTP redirects to HTTPS on the public port, keeping the URI, and serves /health", async () => {
      const settings = prodLike({ httpsPort: 8443 });
      const server = await launch(settings, "redirect");
      const redirect = await request(`http://127.0.0.1:${server.httpPort}/api/agents?x=1`);
      expect(redirect.status).toBe(301);
      expect(redirect.headers.location).toBe("https://127.0.0.1:8443/api/agents?x=1");
      const health = await request(`http://127.0.0.1:${server.httpPort}/health`);
      expect(health.status).toBe(200);
    });

    test("TLS 1.2 and 1.3 are served", async () => {
      const server = await launch(prodLike(), "tls");
      const tls12 = await request(httpsUrl(server, "/health"), { tls: { maxVersion: "TLSv1.2" } });
      const tls13 = await request(httpsUrl(server, "/health"), { tls: { minVersion: "TLSv1.3" } });
      expect([tls12.status, tls12.tlsProtocol]).toEqual([200, "TLSv1.2"]);
      expect([tls13.status, tls13.tlsProtocol]).toEqual([200, "TLSv1.3"]);
    });

    test("access log lines are JSON with the request's timings", async () => {
      const server = await launch(prodLike(), "access-log");
      await request(httpsUrl(server, "/api/agents"));
      // nginx writes the line in its log phase, after the response has gone: it can trail it.
      const line = await waitFor("the access log line of GET /api/agents", () => server.process.stdoutLines().find((text) => text.includes("/api/agents")), 5000, 50);
      const entry = JSON.parse(line ?? "{}") as Record<string, unknown>;
      expect(entry).toMatchObject({ remote_addr: "127.0.0.1", request: "GET /api/agents HTTP/1.1", status: 200, upstream_addr: `127.0.0.1:${orchestrator.port}` });
      expect(typeof entry.request_time).toBe("number");
      expect(entry.upstream_response_time).toMatch(/^\d+\.\d+$/);
      expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    });
  });

  describe("orchestrator replicas behind a DNS name", () => {
    test("the name is resolved per request through the resolver and re-resolved without a reload", async () => {
      const name = "orchestrator.dean.test";
      const dns = await startStandInDns(name, ["127.0.0.1"]);
      try {
        const settings = prodLike({ rateLimit: { ratePerSecond: 100, burst: 100 } });
        const server = await startNginx(bin.nginx, render(settings, { host: name, port: orchestrator.port, resolver: `127.0.0.1:${dns.port}` }), dir, "dns");
        running.push(server);
        const url = httpsUrl(server, "/api/agents");
        expect((await request(url)).status).toBe(200);
        expect(dns.queries).toContain(name);
        // Every replica gone: once the 5 s cache expires nginx asks again and has nowhere to send the request.
        dns.answerWith([]);
        await waitFor("nginx to notice the name no longer resolves", async () => ((await request(url)).status === 502 ? true : undefined), 15_000, 250);
        // Replicas back under the same name: picked up the same way, with the same nginx process.
        dns.answerWith(["127.0.0.1"]);
        await waitFor("nginx to resolve the name again", async () => ((await request(url)).status === 200 ? true : undefined), 15_000, 250);
      } finally {
        await dns.close();
      }
    });
  });

  describe("deny list", () => {
    test("a blocked client gets 403 on every route, /health included", async () => {
      const server = await launch(prodLike({ blockedIps: ["203.0.113.7", "127.0.0.1"] }), "blocked");
      const before = orchestrator.seen.length;
      for (const route of ["/api/agents", "/api/login", "/health"]) {
        expect((await request(httpsUrl(server, route))).status).toBe(403);
      }
      expect(orchestrator.seen.length).toBe(before);
    });

    test("a blocked range covers the client", async () => {
      const server = await launch(prodLike({ blockedIps: ["127.0.0.0/8"] }), "blocked-range");
      expect((await request(httpsUrl(server, "/api/agents"))).status).toBe(403);
    });

    test("a blocked client stays blocked in maintenance mode", async () => {
      const server = await launch(prodLike({ maintenance: true, blockedIps: ["127.0.0.1"] }), "blocked-maintenance");
      expect((await request(httpsUrl(server, "/api/agents"))).status).toBe(403);
    });
  });

  describe("maintenance mode", () => {
    let server: RunningNginx;
    beforeAll(async () => {
      server = await launch(prodLike({ maintenance: true, rateLimit: { ratePerSecond: 100, burst: 100 } }), "maintenance");
    });

    test.each(["/", "/api/agents", "/api/login", "/api/auth/refresh", "/docs", "/maintenance.html"])("%s answers 503 with the maintenance page", async (route) => {
      const before = orchestrator.seen.length;
      const reply = await request(httpsUrl(server, route));
      expect(reply.status).toBe(503);
      expect(reply.body).toContain("down for maintenance");
      expect(reply.headers["content-type"]).toMatch(/^text\/html/);
      expect(reply.headers["retry-after"]).toBe(String(MAINTENANCE_RETRY_AFTER_SECONDS));
      expect(reply.headers["strict-transport-security"]).toBeDefined();
      expect(orchestrator.seen.length).toBe(before);
    });

    test("POSTs get the page too", async () => {
      const reply = await request(httpsUrl(server, "/api/agents"), { method: "POST" });
      expect(reply.status).toBe(503);
      expect(reply.body).toContain("down for maintenance");
    });

    test("/health still reaches the orchestrator", async () => {
      const reply = await request(httpsUrl(server, "/health"));
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ status: "healthy" });
    });
  });
});
