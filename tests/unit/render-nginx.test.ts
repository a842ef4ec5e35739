import { parseStackConfig, type NginxSettings } from "../../components/config";
import { renderMaintenancePage } from "../../components/render/maintenance-page";
import { MAINTENANCE_RETRY_AFTER_SECONDS, renderNginxConf, type NginxConfInput } from "../../components/render/nginx-conf";
import { allDirectives, blockOf, directives, lines, locations, parseNginx, type Directive } from "./support/nginx-conf-parser";

/** Local development: defaults, unprivileged host ports, a looser limit without nodelay. */
const dev = (extra: Record<string, unknown> = {}): NginxSettings =>
  parseStackConfig({ environment: "dev", nginx: { httpPort: 8080, httpsPort: 8443, rateLimit: { ratePerSecond: 20, burst: 40, nodelay: false }, ...extra } }).nginx;

/** Production: the runbook's 1 r/s burst 5, a deny list and several auth paths. */
const prod = (extra: Record<string, unknown> = {}): NginxSettings =>
  parseStackConfig({
    environment: "prod",
    nginx: {
      serverName: "dean.example.org",
      rateLimit: { ratePerSecond: 1, burst: 5, nodelay: true },
      authRateLimit: { ratePerMinute: 10, burst: 3, nodelay: true, paths: ["/api/auth/", "/api/login", "/api/token"] },
      connectionsPerIp: 40,
      blockedIps: ["203.0.113.7", "198.51.100.0/24"],
      ...extra,
    },
  }).nginx;

const input = (nginx: NginxSettings): NginxConfInput => ({
  nginx,
  upstreamHost: "dean-orchestrator",
  upstreamPort: 8082,
  resolver: "127.0.0.11",
  tlsCertificatePath: "/etc/nginx/tls/tls.crt",
  tlsKeyPath: "/etc/nginx/tls/tls.key",
  maintenancePageDir: "/usr/share/nginx/maintenance",
});

interface Parsed {
  readonly text: string;
  readonly main: readonly Directive[];
  readonly http: readonly Directive[];
  readonly plain: readonly Directive[];
  readonly tls: readonly Directive[];
}

function render(nginx: NginxSettings): Parsed {
  const text = renderNginxConf(input(nginx));
  const main = parseNginx(text);
  const http = blockOf(main, "http");
  const servers = directives(http, "server");
  const listening = (port: string) => servers.filter((s) => lines(s.block ?? []).some((line) => line.startsWith(`listen ${port}`)));
  expect(servers).toHaveLength(2);
  const [plain] = listening("80");
  const [tls] = listening("443");
  return { text, main, http, plain: plain.block ?? [], tls: tls.block ?? [] };
}

/** Every location of the TLS server that forwards to the orchestrator, except /health. */
const proxiedApiLocations = (server: readonly Directive[]) =>
  [...locations(server)].filter(([head, body]) => head !== "= /health" && lines(body).includes("proxy_pass $orchestrator"));

describe.each([
  ["dev-like", dev()],
  ["prod-like", prod()],
])("renderNginxConf, %s", (_, settings) => {
  const conf = render(settings);
  const api = `limit_req zone=api burst=${settings.rateLimit.burst}${settings.rateLimit.nodelay ? " nodelay" : ""}`;
  const auth = `limit_req zone=auth burst=${settings.authRateLimit.burst}${settings.authRateLimit.nodelay ? " nodelay" : ""}`;

  test("is a complete nginx.conf: events and http, mime types, logs to stdout/stderr", () => {
    expect(blockOf(conf.main, "events")).toBeDefined();
    expect(lines(conf.main)).toContain("error_log /dev/stderr warn");
    expect(lines(conf.http)).toEqual(expect.arrayContaining(["include /etc/nginx/mime.types", "server_tokens off", "access_log /dev/stdout dean_json"]));
    expect(lines(conf.http).some((line) => /^client_max_body_size \d+[km]$/.test(line))).toBe(true);
  });

  test("never mentions HTTP/2 (nginx 1.22 and current images disagree on its syntax)", () => {
    expect(conf.text).not.toMatch(/http2/i);
  });

  test("the access log format is JSON with the fields operators query", () => {
    const [format] = directives(conf.http, "log_format");
    expect(format.args.slice(0, 2)).toEqual(["dean_json", "escape=json"]);
    const sample = JSON.parse(format.args[2].replace(/\$[a-z0-9_]+/g, "1")) as Record<string, unknown>;
    expect(Object.keys(sample)).toEqual(
      expect.arrayContaining(["time", "remote_addr", "request", "status", "request_time", "upstream_response_time", "upstream_addr"]),
    );
  });

  test("declares the per-IP zones with the configured rates, answering 429", () => {
    expect(lines(conf.http)).toEqual(
      expect.arrayContaining([
        `limit_req_zone $binary_remote_addr zone=api:10m rate=${settings.rateLimit.ratePerSecond}r/s`,
        `limit_req_zone $binary_remote_addr zone=auth:10m rate=${settings.authRateLimit.ratePerMinute}r/m`,
        "limit_req_status 429",
        "limit_conn_zone $binary_remote_addr zone=perip:10m",
        "limit_conn_status 429",
      ]),
    );
    for (const server of [conf.plain, conf.tls]) expect(lines(server)).toContain(`limit_conn perip ${settings.connectionsPerIp}`);
  });

  test("TLS on 443 with the given files, TLS 1.2/1.3 only, HSTS; plain HTTP on 80", () => {
    expect(lines(conf.tls)).toEqual(
      expect.arrayContaining([
        "listen 443 ssl default_server",
        "ssl_certificate /etc/nginx/tls/tls.crt",
        "ssl_certificate_key /etc/nginx/tls/tls.key",
        "ssl_protocols TLSv1.2 TLSv1.3",
        "ssl_session_tickets off",
      ]),
    );
    expect(lines(conf.tls).some((line) => /^add_header Strict-Transport-Security max-age=\d+ always$/.test(line))).toBe(true);
    expect(lines(conf.plain)).toContain("listen 80 default_server");
  });

  test("proxies through a variable re-resolved by Docker's DNS, keeping the request URI", () => {
    // A short cache: a removed replica's address is forgotten within 2 s.
    expect(lines(conf.http)).toContain("resolver 127.0.0.11 valid=2s ipv6=off");
    for (const server of [conf.plain, conf.tls]) expect(lines(server)).toContain("set $orchestrator http://dean-orchestrator:8082");
    const passes = allDirectives(conf.main).filter((d) => d.name === "proxy_pass");
    expect(passes.length).toBeGreaterThan(0);
    for (const pass of passes) expect(pass.args).toEqual(["$orchestrator"]);
  });

  test("sets the forwarding headers, timeouts and retries a replica that went away", () => {
    expect(lines(conf.http)).toEqual(
      expect.arrayContaining([
        "proxy_set_header Host $host",
        "proxy_set_header X-Real-IP $remote_addr",
        "proxy_set_header X-Forwarded-For $remote_addr",
        "proxy_set_header X-Forwarded-Proto $scheme",
        "proxy_next_upstream error timeout http_502 http_503",
        "proxy_next_upstream_tries 3",
        // Bounds how long a request waits on a replica that has just been removed.
        "proxy_connect_timeout 2s",
      ]),
    );
    for (const timeout of ["proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout"]) {
      expect(lines(conf.http).some((line) => line.startsWith(`${timeout} `))).toBe(true);
    }
  });

  test("/health reaches the orchestrator without a rate limit, on both servers", () => {
    for (const server of [conf.plain, conf.tls]) {
      const health = locations(server).get("= /health");
      expect(health && lines(health)).toEqual(["proxy_pass $orchestrator"]);
    }
    expect(directives(conf.tls, "limit_req")).toEqual([]);
  });

  test("every proxied API route carries the general limit", () => {
    const routes = proxiedApiLocations(conf.tls);
    expect(routes.map(([head]) => head)).toContain("/");
    for (const [, body] of routes) expect(lines(body)).toContain(api);
  });

  test("each auth path has its own location with BOTH the auth and the general limit", () => {
    const found = locations(conf.tls);
    for (const path of settings.authRateLimit.paths) {
      const body = found.get(`^~ ${path}`);
      expect(body && lines(body)).toEqual([auth, api, "proxy_pass $orchestrator"]);
    }
    expect([...found.keys()].filter((head) => head.startsWith("^~"))).toHaveLength(settings.authRateLimit.paths.length);
  });

  test("port 80 redirects everything but /health to HTTPS on the public port", () => {
    const authority = settings.httpsPort === 443 ? "$host" : `$host:${settings.httpsPort}`;
    expect(lines(locations(conf.plain).get("/") ?? [])).toEqual([`return 301 https://${authority}$request_uri`]);
    expect([...locations(conf.plain).keys()].sort()).toEqual(["/", "= /health"]);
  });

  test("is not in maintenance: no 503 page", () => {
    expect(conf.text).not.toContain("maintenance.html");
    expect(directives(conf.tls, "error_page")).toEqual([]);
  });
});

describe("renderNginxConf, deny list", () => {
  test("each blocked address is denied, then everyone else allowed, on both servers", () => {
    const conf = render(prod());
    for (const server of [conf.plain, conf.tls]) {
      expect(lines(server).filter((line) => /^(deny|allow) /.test(line))).toEqual(["deny 203.0.113.7", "deny 198.51.100.0/24", "allow all"]);
    }
  });

  test("an empty deny list renders no access rules at all", () => {
    expect(render(dev()).text).not.toMatch(/^\s*(deny|allow) /m);
  });
});

describe("renderNginxConf, maintenance mode", () => {
  const settings = prod({ maintenance: true });
  const conf = render(settings);
  const found = locations(conf.tls);

  test("everything but /health answers 503 with the maintenance page", () => {
    expect([...found.keys()].sort()).toEqual(["/", "= /health", "= /maintenance.html"]);
    expect(lines(found.get("/") ?? [])).toEqual([
      "limit_req zone=api burst=5 nodelay",
      "root /usr/share/nginx/maintenance",
      "try_files /.no-such-file-in-maintenance =503",
    ]);
    expect(lines(conf.tls)).toContain("error_page 503 /maintenance.html");
    expect(proxiedApiLocations(conf.tls)).toEqual([]);
  });

  test("the page is internal, served from the page dir with Retry-After and the security headers", () => {
    const page = lines(found.get("= /maintenance.html") ?? []);
    expect(page).toEqual(
      expect.arrayContaining([
        "internal",
        "root /usr/share/nginx/maintenance",
        `add_header Retry-After ${MAINTENANCE_RETRY_AFTER_SECONDS} always`,
        "add_header Strict-Transport-Security max-age=31536000 always",
      ]),
    );
  });

  test("/health is still proxied, and the deny list still applies", () => {
    expect(lines(found.get("= /health") ?? [])).toEqual(["proxy_pass $orchestrator"]);
    expect(lines(conf.tls)).toContain("deny 203.0.113.7");
  });

  test("every location that adds a header repeats HSTS (add_header is not inherited then)", () => {
    for (const [head, body] of found) {
      const headers = lines(body).filter((line) => line.startsWith("add_header "));
      if (headers.length > 0) expect({ head, hsts: headers.some((line) => line.includes("Strict-Transport-Security")) }).toEqual({ head, hsts: true });
    }
  });
});

describe("renderNginxConf, edge cases of the limits", () => {
  test("burst 0 leaves out burst= (nginx refuses burst=0) and nodelay follows the setting", () => {
    const conf = render(prod({ rateLimit: { burst: 0, nodelay: false }, authRateLimit: { burst: 0, nodelay: true } }));
    expect(lines(locations(conf.tls).get("^~ /api/login") ?? [])).toEqual(["limit_req zone=auth nodelay", "limit_req zone=api", "proxy_pass $orchestrator"]);
    expect(conf.text).not.toContain("burst=0");
  });

  test("an auth path of / puts both limits on the catch-all location instead of a duplicate one", () => {
    const conf = render(prod({ authRateLimit: { paths: ["/", "/api/login", "/api/login"] } }));
    const found = locations(conf.tls);
    expect(lines(found.get("/") ?? [])).toEqual(["limit_req zone=auth burst=3 nodelay", "limit_req zone=api burst=5 nodelay", "proxy_pass $orchestrator"]);
    expect([...found.keys()].sort()).toEqual(["/", "= /health", "^~ /api/login"]);
  });
});

describe("renderMaintenancePage", () => {
  const page = renderMaintenancePage();

  test("is a small self-contained HTML page", () => {
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).toContain("</html>");
    expect(page).toMatch(/maintenance/i);
    expect(page.length).toBeLessThan(4096);
  });

  test("loads nothing from elsewhere and runs no script", () => {
    expect(page).not.toMatch(/<script|\bsrc=|<link|@import|url\(/i);
  });
});
