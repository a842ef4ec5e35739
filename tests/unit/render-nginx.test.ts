import { parseStackConfig, type NginxSettings } from "../../components/config";
import { renderMaintenancePage } from "../../components/render/maintenance-page";
import {
  HEALTH_MIN_BURST, HEALTH_MIN_RATE_PER_SECOND, MAINTENANCE_RETRY_AFTER_SECONDS, healthRateLimit, renderNginxConf, renderUpstreamServers, serverNamesHashBucketSize,
  type NginxConfInput, UPSTREAM_KEEPALIVE_TIMEOUT_SECONDS, UPSTREAM_SERVERS_FILE,
} from "../../components/render/nginx-conf";
import { NGINX_ERROR_STATUSES, UNHEALTHY_BODY, errorBody } from "../../components/render/nginx-error-pages";
import { allDirectives, blockOf, directives, lines, locations, parseNginx, serverWith, type Directive } from "./support/nginx-conf-parser";

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
  resolver: "127.0.0.11",
  replicaAlias: { host: "orchestrator", port: 8082 },
  tlsCertificatePath: "/etc/nginx/tls/tls.crt",
  tlsKeyPath: "/etc/nginx/tls/tls.key",
  maintenancePageDir: "/usr/share/nginx/maintenance",
});

interface Parsed {
  readonly text: string;
  readonly main: readonly Directive[];
  readonly http: readonly Directive[];
  /** The named servers: port 80 (redirect and /health) and 443 (the API). */
  readonly plain: readonly Directive[];
  readonly tls: readonly Directive[];
  /** The default servers taking every other name. */
  readonly catchAll80: readonly Directive[];
  readonly catchAll443: readonly Directive[];
}

function render(nginx: NginxSettings): Parsed {
  const text = renderNginxConf(input(nginx));
  const main = parseNginx(text);
  const http = blockOf(main, "http");
  expect(directives(http, "server")).toHaveLength(4);
  return {
    text,
    main,
    http,
    plain: serverWith(http, "listen 80"),
    tls: serverWith(http, "listen 443 ssl"),
    catchAll80: serverWith(http, "listen 80 default_server"),
    catchAll443: serverWith(http, "listen 443 ssl default_server"),
  };
}

/** Every location of a server that forwards to the orchestrator. */
const proxiedLocations = (server: readonly Directive[]) => [...locations(server)].filter(([, body]) => lines(body).includes("proxy_pass http://orchestrator_replicas"));

/** The locations a request URI can reach (named ones, `@...`, only serve error pages and redirects). */
const routeKeys = (server: readonly Directive[]) => [...locations(server).keys()].filter((head) => !head.startsWith("@")).sort();

const API_HEADERS = [
  "add_header Content-Security-Policy default-src 'none'; frame-ancestors 'none' always",
  "add_header Cache-Control no-store always",
];
const SECURITY_HEADERS = ["add_header X-Content-Type-Options nosniff always", "add_header X-Frame-Options DENY always", "add_header Referrer-Policy no-referrer always"];
const HSTS = "add_header Strict-Transport-Security max-age=31536000 always";

/** error_page lines sending each of nginx's own statuses to its JSON location. */
const errorPageLines = (except: readonly number[] = []) =>
  NGINX_ERROR_STATUSES.filter((status) => !except.includes(status)).map((status) => `error_page ${status === 400 ? "400 494 497" : status} @error_${status}`);
const SERVER_ERRORS = NGINX_ERROR_STATUSES.filter((status) => status >= 500);
/** What the upstream answers when it gave up on a request: these go to the resend first (nginx-resend.ts). */
const RESENT = [502, 504];
/** A proxying API location's error pages: the JSON bodies, 502 and 504 to the resend. */
const API_RESEND_PAGES = ["recursive_error_pages on", ...errorPageLines(RESENT), "error_page 502 = @resend_502", "error_page 504 = @resend_504"];
/** The target of every proxying route. */
const PASS = "proxy_pass http://orchestrator_replicas";

describe.each([
  ["dev-like", dev()],
  ["prod-like", prod()],
])("renderNginxConf, %s", (_, settings) => {
  const conf = render(settings);
  const api = `limit_req zone=api burst=${settings.rateLimit.burst}${settings.rateLimit.nodelay ? " nodelay" : ""}`;
  const auth = `limit_req zone=auth burst=${settings.authRateLimit.burst}${settings.authRateLimit.nodelay ? " nodelay" : ""}`;
  const health = `limit_req zone=health burst=${healthRateLimit(settings).burst} nodelay`;

  test("is a complete nginx.conf: events and http, mime types, logs to stdout/stderr", () => {
    expect(blockOf(conf.main, "events")).toBeDefined();
    expect(lines(conf.main)).toContain("error_log /dev/stderr warn");
    expect(lines(conf.http)).toEqual(expect.arrayContaining(["include /etc/nginx/mime.types", "server_tokens off", "access_log /dev/stdout dean_json"]));
    expect(lines(conf.http).some((line) => /^client_max_body_size \d+[km]$/.test(line))).toBe(true);
    expect(lines(conf.http)).toContain(`server_names_hash_bucket_size ${serverNamesHashBucketSize(settings.serverName)}`);
  });

  test("never mentions HTTP/2 (nginx 1.22 and current images disagree on its syntax)", () => {
    expect(conf.text).not.toMatch(/http2/i);
  });

  test("the access log format is JSON with the fields operators query", () => {
    const [format] = directives(conf.http, "log_format");
    expect(format.args.slice(0, 2)).toEqual(["dean_json", "escape=json"]);
    const sample = JSON.parse(format.args[2].replace(/\$[a-z0-9_]+/g, "1")) as Record<string, unknown>;
    expect(Object.keys(sample)).toEqual(
      expect.arrayContaining([
        "time", "remote_addr", "host", "request", "status", "request_time", "ssl_protocol",
        "upstream_connect_time", "upstream_header_time", "upstream_response_time", "upstream_addr",
      ]),
    );
    expect(format.args[2]).toContain(`"host":"$host"`);
    expect(format.args[2]).toContain(`"ssl_protocol":"$ssl_protocol"`);
  });

  test("the access log logs the path without the query string", () => {
    const [format] = directives(conf.http, "log_format");
    expect(format.args[2]).toContain(`"request":"$request_method $dean_request_path $server_protocol"`);
    // Every variable that carries the query string stays out of the log.
    expect(format.args[2]).not.toMatch(/\$(request|request_uri|args|query_string|arg_\w+)\b/);
    // The path is what the client asked for ($request_uri) up to the `?`, untouched by internal redirects.
    const map = blockOf(conf.http, "map", "$request_uri", "$dean_request_path");
    expect(lines(map)).toEqual(["~^(?<dean_path>[^?]*) $dean_path"]);
    const pattern = new RegExp(map[0].name.slice("~".length));
    expect(pattern.exec("/api/agents?token=secret123")?.groups?.dean_path).toBe("/api/agents");
  });

  test("declares the per-IP zones with the configured rates, answering 429", () => {
    expect(lines(conf.http)).toEqual(
      expect.arrayContaining([
        `limit_req_zone $binary_remote_addr zone=api:10m rate=${settings.rateLimit.ratePerSecond}r/s`,
        `limit_req_zone $binary_remote_addr zone=auth:10m rate=${settings.authRateLimit.ratePerMinute}r/m`,
        `limit_req_zone $binary_remote_addr zone=health:10m rate=${healthRateLimit(settings).ratePerSecond}r/s`,
        "limit_req_status 429",
        "limit_conn_zone $binary_remote_addr zone=perip:10m",
        "limit_conn_status 429",
      ]),
    );
    for (const server of [conf.plain, conf.tls]) expect(lines(server)).toContain(`limit_conn perip ${settings.connectionsPerIp}`);
  });

  test("TLS on 443 with the given files, TLS 1.2/1.3 only for every server on the port, HSTS; plain HTTP on 80", () => {
    expect(lines(conf.tls)).toEqual(expect.arrayContaining(["listen 443 ssl", "ssl_certificate /etc/nginx/tls/tls.crt", "ssl_certificate_key /etc/nginx/tls/tls.key", HSTS]));
    // In the http block: OpenSSL keeps the default (catch-all) server's protocols after SNI picks the named one.
    expect(lines(conf.http)).toEqual(expect.arrayContaining(["ssl_protocols TLSv1.2 TLSv1.3", "ssl_session_tickets off"]));
    expect(allDirectives(conf.http.filter((d) => d.name === "server")).filter((d) => d.name === "ssl_protocols")).toEqual([]);
    expect(lines(conf.plain)).toContain("listen 80");
  });

  test("the named servers answer the configured name only, and are not the default servers", () => {
    for (const server of [conf.plain, conf.tls]) {
      expect(lines(server)).toContain(`server_name ${settings.serverName}`);
      expect(lines(server).filter((line) => line.startsWith("listen "))).toHaveLength(1);
    }
    // The client's Host is only logged: never sent upstream nor put into a redirect.
    const usingHost = allDirectives(conf.main).filter((d) => d.name !== "log_format" && d.args.some((arg) => /\$(http_)?host\b/.test(arg)));
    expect(usingHost).toEqual([]);
  });

  test("a catch-all default server on each port drops every other name: 444, and no TLS handshake on 443", () => {
    // These exact lines: the integration tests (bindToLoopback) and tools rewrite them.
    expect(conf.text).toMatch(/^ {8}listen 80 default_server;$/m);
    expect(conf.text).toMatch(/^ {8}listen 443 ssl default_server;$/m);
    expect(lines(conf.catchAll80)).toEqual(["listen 80 default_server", "return 444", expect.stringMatching(/^error_page [\d ]+ \/$/)]);
    expect(lines(conf.catchAll443)).toEqual(["listen 443 ssl default_server", "ssl_reject_handshake on", "return 444", expect.stringMatching(/^error_page [\d ]+ \/$/)]);
    for (const server of [conf.catchAll80, conf.catchAll443]) {
      // Even a request nginx cannot parse is redirected into the `return 444`, never to nginx's page.
      const [errorPage] = directives(server, "error_page");
      expect(errorPage.args.slice(0, -1).map(Number)).toEqual(expect.arrayContaining([...NGINX_ERROR_STATUSES, 494, 497]));
      expect(allDirectives(server).filter((d) => ["proxy_pass", "server_name", "ssl_certificate", "location"].includes(d.name))).toEqual([]);
    }
  });

  test("proxies to one upstream whose servers come from the release's own file, with a keep-alive pool, keeping the request URI", () => {
    // A short cache: a restarted replica's new address is picked up within 2 s.
    expect(lines(conf.http)).toContain("resolver 127.0.0.11 valid=2s ipv6=off");
    expect(lines(blockOf(conf.http, "upstream"))).toEqual([
      "zone orchestrator_replicas 256k",
      `include ${UPSTREAM_SERVERS_FILE}`,
      `keepalive ${settings.upstreamKeepalive}`,
      `keepalive_timeout ${UPSTREAM_KEEPALIVE_TIMEOUT_SECONDS}s`,
    ]);
    expect(directives(conf.http, "upstream")[0].args).toEqual(["orchestrator_replicas"]);
    // Clients' kept connections outlive a reload until their next answer (or 2 s idle).
    expect(lines(conf.http)).toContain("keepalive_min_timeout 2s");
    // Reuse needs HTTP/1.1 without `Connection: close` towards the replicas.
    expect(lines(conf.http)).toContain("proxy_http_version 1.1");
    expect(directives(conf.http, "proxy_set_header").find((d) => d.args[0] === "Connection")?.args).toEqual(["Connection", ""]);
    // Every route passes to the upstream; only the resend locations (named, nginx-resend.ts) to the alias.
    for (const server of [conf.plain, conf.tls]) {
      for (const [head, body] of locations(server)) {
        const passes = directives(body, "proxy_pass").map((d) => d.args.join(" "));
        if (passes.length > 0) expect({ head, passes }).toEqual({ head, passes: [head.startsWith("@resend_") ? "$dean_replicas_by_alias" : "http://orchestrator_replicas"] });
      }
    }
    expect(proxiedLocations(conf.tls).length).toBeGreaterThan(0);
    expect(conf.text).not.toContain("$orchestrator");
  });

  test("upstreamKeepalive 0 leaves the pool out: a new connection per request", () => {
    const without = render({ ...settings, upstreamKeepalive: 0 });
    expect(lines(blockOf(without.http, "upstream"))).toEqual(["zone orchestrator_replicas 256k", `include ${UPSTREAM_SERVERS_FILE}`]);
  });

  test("the upstream's servers: each replica by name with resolve, sorted and unique, and a down placeholder for none", () => {
    expect(renderUpstreamServers(["dean-orchestrator-2-b", "dean-orchestrator-1-a", "dean-orchestrator-2-b"], 8082)).toBe(
      "server dean-orchestrator-1-a:8082 resolve;\nserver dean-orchestrator-2-b:8082 resolve;\n",
    );
    expect(renderUpstreamServers([], 8082)).toBe("server 127.0.0.1:1 down;\n");
  });

  test("sets the forwarding headers (Host: the configured name, never the client's), timeouts and retries a replica that went away", () => {
    expect(lines(conf.http)).toEqual(
      expect.arrayContaining([
        `proxy_set_header Host ${settings.serverName}`,
        `proxy_set_header X-Forwarded-Host ${settings.serverName}`,
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

  test("hides the orchestrator's X-Dean-Version and X-Replica from every proxied response", () => {
    expect(lines(conf.http)).toEqual(expect.arrayContaining(["proxy_hide_header X-Dean-Version", "proxy_hide_header X-Replica"]));
    // proxy_hide_header is inherited only by levels that declare none: no server or location may.
    const below = allDirectives(directives(conf.http, "server"));
    expect(below.filter((d) => d.name === "proxy_hide_header")).toEqual([]);
  });

  test("/health has its own limit, on both servers, and replaces the orchestrator's 5xx with a bare unhealthy body", () => {
    for (const server of [conf.plain, conf.tls]) {
      const found = locations(server).get("= /health");
      expect(found && lines(found)).toEqual([
        health,
        "proxy_intercept_errors on",
        "recursive_error_pages on",
        ...errorPageLines(SERVER_ERRORS),
        `error_page ${SERVER_ERRORS.filter((status) => !RESENT.includes(status)).join(" ")} =503 @unhealthy`,
        "error_page 502 504 = @resend_health",
        PASS,
      ]);
      expect(lines(locations(server).get("@unhealthy") ?? [])).toEqual(["default_type application/json", `return 503 ${UNHEALTHY_BODY}`]);
    }
    // Nowhere else (but /health's resend): the API's own errors reach clients as the orchestrator wrote them.
    for (const server of [conf.plain, conf.tls]) {
      const intercepting = [...locations(server)].filter(([, body]) => lines(body).includes("proxy_intercept_errors on")).map(([head]) => head);
      expect(intercepting.sort()).toEqual(["= /health", "@resend_health"]);
    }
    expect(allDirectives(conf.main).filter((d) => d.name === "proxy_intercept_errors")).toHaveLength(4);
  });

  test("a request the upstream gave up on is resent by the replicas' alias, resolved per request, unless some of it was sent", () => {
    for (const server of [conf.plain, conf.tls]) {
      const found = locations(server);
      for (const status of RESENT) {
        const body = found.get(`@resend_${status}`) ?? [];
        expect(lines(body)).toEqual([
          api,
          "default_type application/json",
          "set $dean_replicas_by_alias http://orchestrator:8082",
          "proxy_pass $dean_replicas_by_alias",
        ]);
        const [sent] = directives(body, "if");
        expect(sent.args).toEqual(["($upstream_bytes_sent", "~", "[1-9]", ")"]);
        expect(lines(sent.block ?? [])).toEqual([`return ${status} ${errorBody(status)}`]);
      }
      const resendHealth = found.get("@resend_health") ?? [];
      expect(lines(resendHealth)).toEqual([
        health,
        "default_type application/json",
        "proxy_intercept_errors on",
        ...errorPageLines(SERVER_ERRORS),
        `error_page ${SERVER_ERRORS.join(" ")} =503 @unhealthy`,
        "set $dean_replicas_by_alias http://orchestrator:8082",
        "proxy_pass $dean_replicas_by_alias",
      ]);
      expect(lines(directives(resendHealth, "if")[0].block ?? [])).toEqual([`return 503 ${UNHEALTHY_BODY}`]);
    }
  });

  test("every proxied route carries a limit: the general one on API routes, /health its own", () => {
    const routes = proxiedLocations(conf.tls);
    expect(routes.map(([head]) => head)).toContain("/");
    for (const [head, body] of routes) expect(lines(body)).toContain(head === "= /health" ? health : api);
    expect(proxiedLocations(conf.plain).map(([head]) => head)).toEqual(["= /health"]);
  });

  test("each auth path has its own case-insensitive regex location with BOTH the auth and the general limit", () => {
    const found = locations(conf.tls);
    for (const path of settings.authRateLimit.paths) {
      const body = found.get(`~* ^${path}`);
      expect(body && lines(body)).toEqual([auth, api, ...API_RESEND_PAGES, PASS]);
    }
    expect([...found.keys()].filter((head) => head.startsWith("~*"))).toHaveLength(settings.authRateLimit.paths.length);
    // A prefix location (`^~`) is case-sensitive: /API/auth/login would skip the auth limit.
    expect([...found.keys()].filter((head) => head.startsWith("^~"))).toEqual([]);
  });

  test("port 80 answers /health and redirects everything else to https://<serverName>[:port], after the access checks", () => {
    const origin = `https://${settings.serverName}${settings.httpsPort === 443 ? "" : `:${settings.httpsPort}`}`;
    const found = locations(conf.plain);
    expect(routeKeys(conf.plain)).toEqual(["/", "= /health"]);
    // try_files runs after the access phase; a `return` in `location /` would run before it.
    expect(lines(found.get("/") ?? [])).toEqual(["root /usr/share/nginx/maintenance", "try_files /.no-such-file-dean @to_https"]);
    expect(lines(found.get("@to_https") ?? [])).toEqual(["error_page 301 =301 @empty", `return 301 ${origin}$request_uri`]);
    // nginx's own 301 body names nginx: the redirect is sent with an empty one.
    expect(lines(found.get("@empty") ?? [])).toEqual(["default_type text/plain", "return 200 "]);
    expect(conf.text).not.toContain("$host:");
    expect(conf.text).not.toMatch(/https:\/\/\$host/);
  });

  test("API, /health and error responses carry the CSP, no-store and the security headers (HSTS over TLS only)", () => {
    expect(lines(conf.tls)).toEqual(expect.arrayContaining([HSTS, ...SECURITY_HEADERS, ...API_HEADERS]));
    expect(lines(conf.plain)).toEqual(expect.arrayContaining([...SECURITY_HEADERS, ...API_HEADERS]));
    expect(lines(conf.plain)).not.toContain(HSTS);
    // add_header is inherited only by locations that declare none: the API's, /health's and the error pages' declare none.
    for (const server of [conf.plain, conf.tls]) {
      for (const [head, body] of locations(server)) {
        expect({ head, ownHeaders: directives(body, "add_header") }).toEqual({ head, ownHeaders: [] });
      }
    }
  });

  test("every status nginx generates gets its own small JSON body, which never names nginx", () => {
    for (const server of [conf.plain, conf.tls]) {
      expect(lines(server)).toEqual(expect.arrayContaining(errorPageLines()));
      for (const status of NGINX_ERROR_STATUSES) {
        expect(lines(locations(server).get(`@error_${status}`) ?? [])).toEqual(["default_type application/json", `return ${status} ${errorBody(status)}`]);
      }
    }
    for (const status of [400, 403, 404, 405, 413, 429, 500, 502, 503, 504]) expect(NGINX_ERROR_STATUSES).toContain(status);
    const returned = allDirectives(conf.main).filter((d) => d.name === "return").map((d) => d.args.join(" "));
    expect(returned.filter((text) => /nginx/i.test(text))).toEqual([]);
  });

  test("is not in maintenance: no 503 page", () => {
    expect(conf.text).not.toContain("maintenance.html");
    expect(lines(conf.tls)).toContain("error_page 503 @error_503");
  });
});

describe("renderNginxConf, deny list", () => {
  test("each blocked address is denied, then everyone else allowed, on both named servers", () => {
    const conf = render(prod());
    for (const server of [conf.plain, conf.tls]) {
      expect(lines(server).filter((line) => /^(deny|allow) /.test(line))).toEqual(["deny 203.0.113.7", "deny 198.51.100.0/24", "allow all"]);
    }
  });

  test("port 80 has no `return` that would answer before the deny list: only the named redirect location returns", () => {
    const conf = render(prod());
    const returning = [...locations(conf.plain)].filter(([, body]) => directives(body, "return").length > 0).map(([head]) => head);
    expect(returning.every((head) => head.startsWith("@"))).toBe(true);
    expect(directives(conf.plain, "return")).toEqual([]);
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
    expect(routeKeys(conf.tls)).toEqual(["/", "= /health", "= /maintenance.html"]);
    expect(lines(found.get("/") ?? [])).toEqual([
      "limit_req zone=api burst=5 nodelay",
      "root /usr/share/nginx/maintenance",
      "try_files /.no-such-file-dean =503",
    ]);
    expect(lines(conf.tls)).toContain("error_page 503 /maintenance.html");
    // The page, not the JSON body, answers the 503s; the other statuses keep theirs.
    expect(lines(conf.tls)).not.toContain("error_page 503 @error_503");
    expect(lines(conf.tls)).toEqual(expect.arrayContaining(errorPageLines([503])));
    expect(proxiedLocations(conf.tls).map(([head]) => head)).toEqual(["= /health"]);
  });

  test("the page is internal, served from the page dir with Retry-After, a CSP allowing its inline style, and the security headers", () => {
    const page = lines(found.get("= /maintenance.html") ?? []);
    expect(page).toEqual(
      expect.arrayContaining([
        "internal",
        "root /usr/share/nginx/maintenance",
        `add_header Retry-After ${MAINTENANCE_RETRY_AFTER_SECONDS} always`,
        "add_header Cache-Control no-store always",
        "add_header Content-Security-Policy default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none' always",
        HSTS,
        ...SECURITY_HEADERS,
      ]),
    );
  });

  test("/health is still proxied with its own limit, and the deny list still applies", () => {
    expect(lines(found.get("= /health") ?? [])).toEqual(expect.arrayContaining(["limit_req zone=health burst=20 nodelay", PASS]));
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
    expect(lines(locations(conf.tls).get("~* ^/api/login") ?? [])).toEqual(["limit_req zone=auth nodelay", "limit_req zone=api", ...API_RESEND_PAGES, PASS]);
    expect(conf.text).not.toContain("burst=0");
  });

  test("an auth path of / puts both limits on the catch-all location instead of a duplicate one", () => {
    const conf = render(prod({ authRateLimit: { paths: ["/", "/api/login", "/api/login"] } }));
    const found = locations(conf.tls);
    expect(lines(found.get("/") ?? [])).toEqual(["limit_req zone=auth burst=3 nodelay", "limit_req zone=api burst=5 nodelay", ...API_RESEND_PAGES, PASS]);
    expect(routeKeys(conf.tls)).toEqual(["/", "= /health", "~* ^/api/login"]);
  });

  test("auth paths are regex-escaped: they match themselves in any letter case and nothing else", () => {
    const conf = render(prod({ authRateLimit: { paths: ["/api/v1.0/to~ken_x-y"] } }));
    const [head] = [...locations(conf.tls).keys()].filter((key) => key.startsWith("~*"));
    expect(head).toBe("~* ^/api/v1\\.0/to~ken_x-y");
    const pattern = new RegExp(head.slice("~* ".length), "i");
    expect(["/api/v1.0/to~ken_x-y", "/API/V1.0/TO~KEN_X-Y/more"].map((path) => pattern.test(path))).toEqual([true, true]);
    expect(["/api/v1x0/to~ken_x-y", "/x/api/v1.0/to~ken_x-y"].map((path) => pattern.test(path))).toEqual([false, false]);
  });

  test("/health's limit is at least 10 r/s with a burst of 20, and follows a higher general limit", () => {
    expect(healthRateLimit(prod())).toEqual({ ratePerSecond: HEALTH_MIN_RATE_PER_SECOND, burst: HEALTH_MIN_BURST });
    expect([HEALTH_MIN_RATE_PER_SECOND, HEALTH_MIN_BURST]).toEqual([10, 20]);
    expect(healthRateLimit(prod({ rateLimit: { ratePerSecond: 1000, burst: 2000 } }))).toEqual({ ratePerSecond: 1000, burst: 2000 });
  });
});

describe("serverNamesHashBucketSize", () => {
  test("the default 64 for short names, a power of two holding the name and nginx's two pointers beyond", () => {
    expect(serverNamesHashBucketSize("localhost")).toBe(64);
    expect(serverNamesHashBucketSize("a".repeat(46))).toBe(64);
    expect(serverNamesHashBucketSize("a".repeat(47))).toBe(128);
    expect(serverNamesHashBucketSize("a".repeat(253))).toBe(512);
    for (let length = 1; length <= 253; length++) {
      const size = serverNamesHashBucketSize("a".repeat(length));
      // nginx's element: a pointer, the name and 2 bytes aligned to 8; the bucket ends in a pointer.
      expect(size).toBeGreaterThanOrEqual(8 + Math.ceil((length + 2) / 8) * 8 + 8);
      expect(Math.log2(size) % 1).toBe(0);
    }
  });
});

describe("nginx's own error bodies", () => {
  test("are JSON in the orchestrator's error shape and never name nginx", () => {
    for (const status of NGINX_ERROR_STATUSES) {
      const body = JSON.parse(errorBody(status)) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(["detail"]);
      expect(errorBody(status)).not.toMatch(/nginx|'|\$/i);
    }
    expect(JSON.parse(UNHEALTHY_BODY)).toEqual({ status: "unhealthy" });
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
