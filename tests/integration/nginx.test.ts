import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseStackConfig, type NginxSettings } from "../../components/config";
import { renderMaintenancePage } from "../../components/render/maintenance-page";
import { HEALTH_MIN_BURST, HEALTH_MIN_RATE_PER_SECOND, MAINTENANCE_RETRY_AFTER_SECONDS, renderNginxConf, renderUpstreamServers } from "../../components/render/nginx-conf";
import { UNHEALTHY_BODY } from "../../components/render/nginx-error-pages";
import { describeWithBinaries, findBinary, findTestNginx } from "./support/binaries";
import { startStandInDns } from "./support/dns";
import {
  makeSelfSignedCertificate,
  makeWorldReadable,
  nginxTest,
  rawExchange,
  request,
  startNginx,
  writeNginxFiles,
  startStandInOrchestrator,
  startStandInUpstream,
  tlsHandshake,
  type NginxFiles,
  type Reply,
  type RequestOptions,
  type RunningNginx,
  type StandInOrchestrator,
} from "./support/nginx";
import { freePort, waitFor } from "./support/processes";
import { burstOutcome, expectZoneAdmitted, mostAdmitted, timed } from "../support/rate-limit";

jest.setTimeout(60_000);

/** The prod-like name: nginx answers only it (the test certificate is for localhost; the client does not verify it). */
const SERVER_NAME = "dean.example.org";

const devLike = (extra: Record<string, unknown> = {}): NginxSettings => parseStackConfig({ environment: "dev", nginx: { httpPort: 8080, httpsPort: 8443, ...extra } }).nginx;

/** The production shape: 1 r/s with burst 5 (the runbook's numbers), a deny list, several auth paths. */
const prodLike = (extra: Record<string, unknown> = {}): NginxSettings =>
  parseStackConfig({
    environment: "prod",
    nginx: {
      serverName: SERVER_NAME,
      bindAddress: "0.0.0.0",
      rateLimit: { ratePerSecond: 1, burst: 5, nodelay: true },
      authRateLimit: { ratePerMinute: 10, burst: 3, nodelay: true, paths: ["/api/auth/", "/api/login", "/api/token"] },
      connectionsPerIp: 50,
      blockedIps: ["203.0.113.7", "198.51.100.0/24"],
      ...extra,
    },
  }).nginx;

/** A DNS name of exactly `length` characters (labels of at most 63). */
const longName = (length: number): string => {
  const labels: string[] = [];
  let left = length;
  // 62 characters and a dot at a time, the rest (1-63) last.
  for (; left > 63; left -= 63) labels.push("a".repeat(62));
  return [...labels, "a".repeat(left)].join(".");
};
/** A name over 64 characters cannot be a self-signed certificate's CN: such stacks use host files. */
const HOST_FILES_TLS = { mode: "hostFiles", certificatePath: "/etc/letsencrypt/live/dean/fullchain.pem", keyPath: "/etc/letsencrypt/live/dean/privkey.pem" };

/** A request naming the configured server (SNI and Host), as a real client of the prod-like stack does. */
const send = (url: string, options: RequestOptions = {}) => request(url, { serverName: SERVER_NAME, ...options });

/** The headers every API, /health and error response carries. */
const API_RESPONSE_HEADERS = {
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

/** nginx's own error body for `status` must be ours: small JSON, nothing naming nginx. */
const expectOwnErrorBody = (reply: Reply, status: number): void => {
  expect(reply.status).toBe(status);
  expect(reply.headers["content-type"]).toBe("application/json");
  expect(reply.body).not.toMatch(/nginx/i);
  expect(JSON.parse(reply.body)).toEqual({ detail: expect.any(String) });
};

describeWithBinaries("the rendered nginx.conf under real nginx", { nginx: findTestNginx(), openssl: findBinary("openssl") }, (bin) => {
  let dir: string;
  let tls: { certificatePath: string; keyPath: string };
  let orchestrator: StandInOrchestrator;
  const running: RunningNginx[] = [];

  // The replicas' alias, where a request the upstream gave up on is resent: nothing listens there
  // (nginx-resend.test.ts tests the resend), so these tests see what the upstream alone answers.
  let deadAliasPort: number;
  const render = (nginx: NginxSettings, upstream: { host: string; port: number; resolver: string }): NginxFiles => ({
    conf: renderNginxConf({
      nginx,
      resolver: upstream.resolver,
      replicaAlias: { host: "127.0.0.1", port: deadAliasPort },
      tlsCertificatePath: tls.certificatePath,
      tlsKeyPath: tls.keyPath,
      maintenancePageDir: dir,
    }),
    upstreamServers: renderUpstreamServers([upstream.host], upstream.port),
  });

  /** nginx proxying to the stand-in orchestrator by IP literal, so no DNS is involved. */
  const launch = async (nginx: NginxSettings, name: string): Promise<RunningNginx> => {
    const started = await startNginx(bin.nginx, render(nginx, { host: "127.0.0.1", port: orchestrator.port, resolver: "127.0.0.1" }), dir, name);
    running.push(started);
    return started;
  };

  const httpsUrl = (server: RunningNginx, pathAndQuery: string): string => `https://127.0.0.1:${server.httpsPort}${pathAndQuery}`;
  const httpUrl = (server: RunningNginx, pathAndQuery: string): string => `http://127.0.0.1:${server.httpPort}${pathAndQuery}`;

  /** `count` requests sent at once; what the zone admitted, checked against burst + 1 plus its refill. */
  const burstOf = async (count: number, sendOne: (index: number) => Promise<Reply>, burst: number, perSecond: number): Promise<number> => {
    const { value: replies, seconds } = await timed(() => Promise.all(Array.from({ length: count }, (_, i) => sendOne(i))));
    return expectZoneAdmitted(replies.map((reply) => reply.status), { admittedStatus: 200, burst, perSecond }, seconds);
  };
  const burstOf20 = (sendOne: (index: number) => Promise<Reply>, burst: number, perSecond: number): Promise<number> => burstOf(20, sendOne, burst, perSecond);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dean-nginx-"));
    tls = makeSelfSignedCertificate(bin.openssl, dir);
    writeFileSync(path.join(dir, "maintenance.html"), renderMaintenancePage());
    makeWorldReadable(dir, ["maintenance.html"]);
    orchestrator = await startStandInOrchestrator();
    deadAliasPort = await freePort();
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
      ["auth paths with regex characters", () => prodLike({ authRateLimit: { paths: ["/api/v1.0/auth/", "/api/to~ken_x-y", "/health"] } })],
      // Two servers per port make nginx hash the names: each length where the bucket size steps up.
      ...[46, 47, 110, 111, 253].map((length): [string, () => NginxSettings] => [`a ${length}-character server name`, () => prodLike({ serverName: longName(length), tls: HOST_FILES_TLS })]),
    ];
    test.each(variants)("%s", async (name, settings) => {
      // A replica's container name and Docker's DNS: with `resolve`, nginx resolves it when running, not for -t.
      const confPath = writeNginxFiles(path.join(dir, `t-${name.replace(/\W+/g, "-")}`), render(settings(), { host: "dean-orchestrator-1-a1b2c3d", port: 8082, resolver: "127.0.0.11" }));
      const result = await nginxTest(bin.nginx, confPath, dir);
      expect(result.report).toContain("test is successful");
      expect(result.ok).toBe(true);
    });
  });

  describe("prod-like, serving", () => {
    test("/health is proxied to the orchestrator's /health with the forwarding headers and the configured Host", async () => {
      const server = await launch(prodLike(), "health");
      const before = orchestrator.seen.length;
      // The client may spell the name in another case; the orchestrator still sees the configured one.
      const reply = await send(httpsUrl(server, "/health"), { headers: { "x-forwarded-for": "6.6.6.6", host: `DEAN.Example.ORG:${server.httpsPort}` } });
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ status: "healthy" });
      expect(reply.headers["strict-transport-security"]).toMatch(/max-age=\d+/);
      // Without the headers-more module nginx cannot drop its Server header; server_tokens off hides the version.
      expect(reply.headers.server).toBe("nginx");
      const seen = orchestrator.seen.slice(before);
      expect(seen).toHaveLength(1);
      expect(seen[0].url).toBe("/health");
      expect(seen[0].headers).toMatchObject({
        "x-forwarded-proto": "https",
        "x-real-ip": "127.0.0.1",
        // A client-supplied X-Forwarded-For is replaced at the edge.
        "x-forwarded-for": "127.0.0.1",
        host: SERVER_NAME,
        "x-forwarded-host": SERVER_NAME,
      });
      expect(seen[0].headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
    });

    test("API and /health responses carry the CSP, no-store and the security headers, and not the orchestrator's diagnostic headers", async () => {
      const server = await launch(prodLike(), "response-headers");
      for (const url of [httpsUrl(server, "/api/agents"), httpsUrl(server, "/api/login"), httpsUrl(server, "/health"), httpUrl(server, "/health")]) {
        const reply = await send(url);
        expect({ url, status: reply.status }).toEqual({ url, status: 200 });
        expect(reply.headers).toMatchObject(API_RESPONSE_HEADERS);
        // The stand-in sets both, as the orchestrator does; a client must see neither.
        expect(reply.headers["x-replica"]).toBeUndefined();
        expect(reply.headers["x-dean-version"]).toBeUndefined();
      }
    });

    test.each([
      ["443", (server: RunningNginx) => httpsUrl(server, "/health")],
      ["80", (server: RunningNginx) => httpUrl(server, "/health")],
    ])("/health has its own limit on port %s: burst + 1 pass, the rest get 429 with nginx's JSON body", async (port, url) => {
      const server = await launch(prodLike(), `health-limit-${port}`);
      const zone = { admittedStatus: 200, burst: HEALTH_MIN_BURST, perSecond: HEALTH_MIN_RATE_PER_SECOND };
      // 40 at once on this port, then 10 on each port: one zone for both ports, so a client
      // cannot double its rate by alternating them. Both counted with the refill of the time taken.
      const { value: [first, both], seconds } = await timed(async () => {
        const burst = await Promise.all(Array.from({ length: 40 }, () => send(url(server))));
        const after = await Promise.all(Array.from({ length: 20 }, (_, index) => send(index % 2 === 0 ? httpsUrl(server, "/health") : httpUrl(server, "/health"))));
        return [burst, after] as const;
      });
      const admittedFirst = expectZoneAdmitted(first.map((reply) => reply.status), zone, seconds);
      const admittedBoth = burstOutcome(both.map((reply) => reply.status), 200);
      expect(admittedBoth.other).toBe(0);
      expect(admittedFirst + admittedBoth.admitted).toBeLessThanOrEqual(mostAdmitted(zone.burst, zone.perSecond, seconds));
      for (const limited of [...first, ...both].filter((reply) => reply.status === 429)) {
        expectOwnErrorBody(limited, 429);
        expect(limited.headers).toMatchObject(API_RESPONSE_HEADERS);
      }
    });

    test("20 concurrent API requests from one client: burst + 1 pass, the rest get 429", async () => {
      const settings = prodLike();
      const server = await launch(settings, "api-limit");
      const before = orchestrator.seen.length;
      const passed = await burstOf20((i) => send(httpsUrl(server, `/api/agents?page=${i}`)), settings.rateLimit.burst, settings.rateLimit.ratePerSecond);
      // The request URI reaches the orchestrator unchanged.
      const urls = orchestrator.seen.slice(before).map((seen) => seen.url);
      expect(urls).toHaveLength(passed);
      for (const url of urls) expect(url).toMatch(/^\/api\/agents\?page=\d+$/);
    });

    test("an auth path applies the stricter auth limit, and a 429 body is ours", async () => {
      const settings = prodLike();
      const server = await launch(settings, "auth-limit");
      const { burst, ratePerMinute } = settings.authRateLimit;
      await burstOf20(() => send(httpsUrl(server, "/api/login"), { method: "POST" }), burst, ratePerMinute / 60);
      const limited = await send(httpsUrl(server, "/api/login"), { method: "POST" });
      expectOwnErrorBody(limited, 429);
      expect(limited.headers).toMatchObject(API_RESPONSE_HEADERS);
    });

    test.each(["/API/AUTH/refresh", "/Api/Login", "/API/LOGIN?next=/"])("the auth limit holds whatever the case: %s", async (route) => {
      const settings = prodLike();
      const server = await launch(settings, `auth-case-${route.replace(/\W+/g, "-")}`);
      const { burst, ratePerMinute } = settings.authRateLimit;
      await burstOf20(() => send(httpsUrl(server, route), { method: "POST" }), burst, ratePerMinute / 60);
    });

    test("an auth path applies the general API limit too", async () => {
      // A generous auth limit: only the general limit can stop these requests.
      const settings = prodLike({ authRateLimit: { ratePerMinute: 60_000, burst: 100, paths: ["/api/auth/", "/api/login"] } });
      const server = await launch(settings, "auth-and-api-limit");
      await burstOf20(() => send(httpsUrl(server, "/api/auth/refresh"), { method: "POST" }), settings.rateLimit.burst, settings.rateLimit.ratePerSecond);
    });

    test("HTTP redirects to HTTPS on the configured name and public port, keeping the URI, with no body; /health is served", async () => {
      const settings = prodLike({ httpsPort: 8443 });
      const server = await launch(settings, "redirect");
      // The name as the client spelled it never makes it into the Location.
      const redirect = await send(httpUrl(server, "/api/agents?x=1"), { headers: { host: "DEAN.example.org" } });
      expect(redirect.status).toBe(301);
      expect(redirect.headers.location).toBe(`https://${SERVER_NAME}:8443/api/agents?x=1`);
      expect(redirect.body).toBe("");
      const health = await send(httpUrl(server, "/health"));
      expect(health.status).toBe(200);
    });

    test("TLS 1.2 and 1.3 are served", async () => {
      const server = await launch(prodLike(), "tls");
      const tls12 = await send(httpsUrl(server, "/health"), { tls: { maxVersion: "TLSv1.2" } });
      const tls13 = await send(httpsUrl(server, "/health"), { tls: { minVersion: "TLSv1.3" } });
      expect([tls12.status, tls12.tlsProtocol]).toEqual([200, "TLSv1.2"]);
      expect([tls13.status, tls13.tlsProtocol]).toEqual([200, "TLSv1.3"]);
    });

    /** The access log line of the request for `path` (nginx writes it after the response has gone: it can trail it). */
    const accessLogEntry = async (server: RunningNginx, path: string): Promise<Record<string, unknown>> => {
      const line = await waitFor(`the access log line of ${path}`, () => server.process.stdoutLines().find((text) => text.includes(` ${path} `)), 5000, 50);
      return JSON.parse(line ?? "{}") as Record<string, unknown>;
    };

    test("access log lines are JSON with the request's timings, host and TLS protocol", async () => {
      const server = await launch(prodLike(), "access-log");
      await send(httpsUrl(server, "/api/agents"), { tls: { minVersion: "TLSv1.3" } });
      const entry = await accessLogEntry(server, "/api/agents");
      expect(entry).toMatchObject({
        remote_addr: "127.0.0.1",
        host: SERVER_NAME,
        request: "GET /api/agents HTTP/1.1",
        status: 200,
        ssl_protocol: "TLSv1.3",
        upstream_addr: `127.0.0.1:${orchestrator.port}`,
        upstream_status: "200",
      });
      expect(typeof entry.request_time).toBe("number");
      for (const field of ["upstream_connect_time", "upstream_header_time", "upstream_response_time"]) expect(entry[field]).toMatch(/^\d+\.\d+$/);
      expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    });

    test("the query string never reaches the logs: the path is logged without it", async () => {
      const server = await launch(prodLike(), "access-log-query");
      expect((await send(httpsUrl(server, "/api/agents?token=secret123&page=2"))).status).toBe(200);
      expect((await send(httpUrl(server, "/api/redirected?token=secret123"))).status).toBe(301);
      expect(await accessLogEntry(server, "/api/agents")).toMatchObject({ request: "GET /api/agents HTTP/1.1", status: 200 });
      expect(await accessLogEntry(server, "/api/redirected")).toMatchObject({ request: "GET /api/redirected HTTP/1.1", status: 301, ssl_protocol: "" });
      // Everything nginx wrote: the access log (stdout) and the error log (stderr).
      expect(server.process.output()).not.toContain("secret123");
    });
  });

  describe("only the configured server name is answered", () => {
    let server: RunningNginx;
    beforeAll(async () => {
      server = await launch(prodLike(), "server-name");
    });

    test("port 80: a request for another Host, or none, gets no response at all (444)", async () => {
      expect(await rawExchange(server.httpPort, "GET /health HTTP/1.1\r\nHost: evil.example\r\n\r\n")).toBe("");
      expect(await rawExchange(server.httpPort, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${server.httpPort}\r\n\r\n`)).toBe("");
      expect(await rawExchange(server.httpPort, "GET /health HTTP/1.0\r\n\r\n")).toBe("");
      await expect(send(httpUrl(server, "/api/agents"), { serverName: "evil.example" })).rejects.toThrow(/socket hang up|ECONNRESET/);
    });

    test("port 443: the TLS handshake is refused for another SNI name or none", async () => {
      for (const name of ["evil.example", undefined]) {
        const handshake = await tlsHandshake(server.httpsPort, name);
        expect({ name, ok: handshake.ok }).toEqual({ name, ok: false });
        if (!handshake.ok) expect(handshake.error).toMatch(/unrecognized name/i);
      }
      expect(await tlsHandshake(server.httpsPort, SERVER_NAME)).toMatchObject({ ok: true });
    });

    test("port 443: a handshake for the configured name followed by another Host gets no response", async () => {
      const before = orchestrator.seen.length;
      await expect(send(httpsUrl(server, "/api/agents"), { headers: { host: "evil.example" } })).rejects.toThrow(/socket hang up|ECONNRESET/);
      expect(orchestrator.seen.length).toBe(before);
    });

    test("the configured name is answered on both ports", async () => {
      expect((await send(httpsUrl(server, "/api/agents"))).status).toBe(200);
      expect((await send(httpUrl(server, "/health"))).status).toBe(200);
    });

    test("a request nginx cannot parse gets nginx's JSON 400 from the named server and nothing from the catch-all", async () => {
      const named = await rawExchange(server.httpPort, `GET /health HTTP/1.1\r\nHost: ${SERVER_NAME}\r\nno colon here\r\n\r\n`);
      expect(named).toMatch(/^HTTP\/1\.1 400 /);
      expect(named).toContain(`{"detail":"Bad Request"}`);
      expect(named).not.toMatch(/<center>nginx/);
      for (const garbage of ["GARBAGE\r\n\r\n", `GET /health HTTP/2.0\r\nHost: ${SERVER_NAME}\r\n\r\n`]) {
        expect(await rawExchange(server.httpPort, garbage)).toBe("");
        expect(await rawExchange(server.httpsPort, garbage)).toBe("");
      }
    });

    test("plain HTTP sent to the HTTPS port gets the JSON 400, not nginx's page", async () => {
      const reply = await send(`http://127.0.0.1:${server.httpsPort}/api/agents`);
      expectOwnErrorBody(reply, 400);
    });

    test("a body over client_max_body_size gets the JSON 413", async () => {
      const reply = await rawExchange(server.httpPort, `POST /api/agents HTTP/1.1\r\nHost: ${SERVER_NAME}\r\nContent-Length: 100000000\r\n\r\n`);
      expect(reply).toMatch(/^HTTP\/1\.1 413 /);
      expect(reply).toContain(`{"detail":"Content Too Large"}`);
      expect(reply).not.toMatch(/<center>nginx/);
    });
  });

  describe("when the orchestrator fails", () => {
    test("/health answers 503 with nginx's own minimal JSON, whatever the orchestrator's 5xx said, on both ports", async () => {
      const failing = await startStandInUpstream((req) =>
        req.url === "/health"
          ? { status: 503, body: { status: "unhealthy", reason: "database: OperationalError: connection to server at \"postgres\" (10.0.0.3) failed" } }
          : { status: 500, body: { detail: "Traceback (most recent call last): KeyError" } },
      );
      try {
        const server = await startNginx(bin.nginx, render(prodLike(), { host: "127.0.0.1", port: failing.port, resolver: "127.0.0.1" }), dir, "health-failing");
        running.push(server);
        for (const url of [httpsUrl(server, "/health"), httpUrl(server, "/health")]) {
          const reply = await send(url);
          expect(reply.status).toBe(503);
          expect(reply.body).toBe(UNHEALTHY_BODY);
          expect(reply.headers["content-type"]).toBe("application/json");
          expect(reply.headers).toMatchObject(API_RESPONSE_HEADERS);
          expect(reply.headers["x-replica"]).toBeUndefined();
        }
        // Only /health is rewritten: the API's own errors reach the client as the orchestrator wrote them.
        const api = await send(httpsUrl(server, "/api/agents"));
        expect([api.status, JSON.parse(api.body)]).toEqual([500, { detail: "Traceback (most recent call last): KeyError" }]);
        expect(api.headers["x-dean-version"]).toBeUndefined();
      } finally {
        await failing.close();
      }
    });

    test("no replica reachable: /health says unhealthy, the API gets the JSON 502", async () => {
      const nothing = await freePort();
      const server = await startNginx(bin.nginx, render(prodLike(), { host: "127.0.0.1", port: nothing, resolver: "127.0.0.1" }), dir, "no-upstream");
      running.push(server);
      const health = await send(httpsUrl(server, "/health"));
      expect([health.status, health.body]).toEqual([503, UNHEALTHY_BODY]);
      expectOwnErrorBody(await send(httpsUrl(server, "/api/agents")), 502);
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
        expect((await send(url)).status).toBe(200);
        expect(dns.queries).toContain(name);
        // Every replica gone: once the 5 s cache expires nginx asks again and has nowhere to send the request.
        dns.answerWith([]);
        await waitFor("nginx to notice the name no longer resolves", async () => ((await send(url)).status === 502 ? true : undefined), 15_000, 250);
        // Replicas back under the same name: picked up the same way, with the same nginx process.
        dns.answerWith(["127.0.0.1"]);
        await waitFor("nginx to resolve the name again", async () => ((await send(url)).status === 200 ? true : undefined), 15_000, 250);
      } finally {
        await dns.close();
      }
    });
  });

  describe("deny list", () => {
    test("a blocked client gets 403 with nginx's JSON body on every route of both ports, the redirect and /health included", async () => {
      const server = await launch(prodLike({ blockedIps: ["203.0.113.7", "127.0.0.1"] }), "blocked");
      const before = orchestrator.seen.length;
      const urls = [
        ...["/api/agents", "/api/login", "/API/AUTH/refresh", "/health"].map((route) => httpsUrl(server, route)),
        // The redirect would otherwise run before the deny list.
        ...["/api/agents?x=1", "/", "/health"].map((route) => httpUrl(server, route)),
      ];
      for (const url of urls) {
        const reply = await send(url);
        expect({ url, status: reply.status }).toEqual({ url, status: 403 });
        expectOwnErrorBody(reply, 403);
        expect(reply.headers.location).toBeUndefined();
      }
      expect(orchestrator.seen.length).toBe(before);
    });

    test("a blocked range covers the client", async () => {
      const server = await launch(prodLike({ blockedIps: ["127.0.0.0/8"] }), "blocked-range");
      expect((await send(httpsUrl(server, "/api/agents"))).status).toBe(403);
      expect((await send(httpUrl(server, "/api/agents"))).status).toBe(403);
    });

    test("a blocked client stays blocked in maintenance mode", async () => {
      const server = await launch(prodLike({ maintenance: true, blockedIps: ["127.0.0.1"] }), "blocked-maintenance");
      expectOwnErrorBody(await send(httpsUrl(server, "/api/agents")), 403);
      expectOwnErrorBody(await send(httpUrl(server, "/api/agents")), 403);
    });
  });

  describe("maintenance mode", () => {
    let server: RunningNginx;
    beforeAll(async () => {
      server = await launch(prodLike({ maintenance: true, rateLimit: { ratePerSecond: 100, burst: 100 } }), "maintenance");
    });

    test.each(["/", "/api/agents", "/api/login", "/api/auth/refresh", "/docs", "/maintenance.html"])("%s answers 503 with the maintenance page", async (route) => {
      const before = orchestrator.seen.length;
      const reply = await send(httpsUrl(server, route));
      expect(reply.status).toBe(503);
      expect(reply.body).toContain("down for maintenance");
      expect(reply.headers["content-type"]).toMatch(/^text\/html/);
      expect(reply.headers["retry-after"]).toBe(String(MAINTENANCE_RETRY_AFTER_SECONDS));
      expect(reply.headers["strict-transport-security"]).toBeDefined();
      // The page's inline style is all it may use.
      expect(reply.headers["content-security-policy"]).toBe("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
      expect(orchestrator.seen.length).toBe(before);
    });

    test("POSTs get the page too", async () => {
      const reply = await send(httpsUrl(server, "/api/agents"), { method: "POST" });
      expect(reply.status).toBe(503);
      expect(reply.body).toContain("down for maintenance");
    });

    test("/health still reaches the orchestrator", async () => {
      const reply = await send(httpsUrl(server, "/health"));
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ status: "healthy" });
    });

    test("the access log names the path asked for, not the page's", async () => {
      await send(httpsUrl(server, "/api/maintained?token=secret123"));
      const line = await waitFor("the access log line", () => server.process.stdoutLines().find((text) => text.includes("/api/maintained")), 5000, 50);
      expect(JSON.parse(line ?? "{}")).toMatchObject({ request: "GET /api/maintained HTTP/1.1", status: 503 });
      expect(server.process.output()).not.toContain("secret123");
    });
  });
});
