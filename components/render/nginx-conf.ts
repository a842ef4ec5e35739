import type { NginxSettings } from "../config";
import { block, renderNginxLines, type NginxLine } from "./nginx-blocks";
import {
  bodilessRedirect, dropErrorPages, emptyBodyLocation, errorLocations, errorPages, unhealthyLocation,
} from "./nginx-error-pages";
import { apiResendErrorPages, healthResendErrorPages, type ReplicaAlias, resendLocations } from "./nginx-resend";

export interface NginxConfInput {
  /** The validated nginx settings. */
  readonly nginx: NginxSettings;
  /** DNS server the replicas' names are resolved and re-resolved with (Docker's embedded DNS: 127.0.0.11). */
  readonly resolver: string;
  /** A name every replica answers to: where a request no replica received is sent once more (nginx-resend.ts). */
  readonly replicaAlias: ReplicaAlias;
  /** Paths inside the nginx container. */
  readonly tlsCertificatePath: string;
  readonly tlsKeyPath: string;
  /** Directory inside the container holding maintenance.html. */
  readonly maintenancePageDir: string;
}

/** Seconds clients are told to wait in maintenance mode (Retry-After). */
export const MAINTENANCE_RETRY_AFTER_SECONDS = 300;

/** The URI the maintenance page is served under (a file of that name in maintenancePageDir). */
const MAINTENANCE_URI = "/maintenance.html";

/**
 * How long nginx keeps a replica's resolved address, and waits for a connection to one. A
 * replica leaves the upstream by a reload before it is stopped (see renderUpstreamServers), so
 * these matter only when a replica's address changes under nginx (Docker restarted it): a
 * request that picks the stale address waits the connect timeout, then nginx tries the next
 * replica. 2s still lets a dropped SYN to a live replica be resent once (after 1s).
 */
export const UPSTREAM_DNS_CACHE_SECONDS = 2;
export const UPSTREAM_CONNECT_TIMEOUT_SECONDS = 2;

/**
 * How long nginx keeps a client's connection after a response before it may close it, also when
 * a reload retires the worker holding it (keepalive_min_timeout, nginx 1.27.4). Without it the
 * old workers close every idle keep-alive connection at once, and a request the client sends on
 * one at that moment is reset (HTTP/1.1's keep-alive race): a reload for maintenance, a blocked
 * address or a scale would cost a busy client a request. With it an old worker answers the next
 * request on each kept connection, with `Connection: close` (what nginx sends while shutting
 * down), and closes only connections idle this long. It is also how long old workers can
 * outlive a reload, which the switch script waits for.
 */
export const CLIENT_KEEPALIVE_MIN_SECONDS = 2;

/** The upstream block's name, which proxy_pass names (not the replicas' alias, which is a DNS name). */
const UPSTREAM_NAME = "orchestrator_replicas";
/** What every proxied location passes to. */
const PROXY_TARGET = `http://${UPSTREAM_NAME}`;

/**
 * The file listing the upstream's servers, relative to nginx.conf: nginx resolves an `include`
 * against the directory of the file given to -c, so each configuration release carries its own.
 */
export const UPSTREAM_SERVERS_FILE = "upstream-servers.conf";

/**
 * How long an idle upstream connection is kept: below the 5 s after which uvicorn (by default)
 * closes one, so nginx never sends a request on a connection the replica is closing.
 */
export const UPSTREAM_KEEPALIVE_TIMEOUT_SECONDS = 4;

/**
 * The upstream's servers: one line per replica, by its own container name. Naming each replica
 * (rather than a network alias shared by all) is what drains one before it goes: a new
 * configuration without it is loaded before Pulumi stops it, so no new request reaches it and
 * the requests in flight finish. `resolve` (nginx 1.27.3 and later, with the upstream's zone)
 * follows a replica's address when Docker restarts it. An empty list renders a server that
 * never answers, since an upstream needs one (a stack always has a replica).
 */
export function renderUpstreamServers(hosts: readonly string[], port: number): string {
  const unique = [...new Set(hosts)].sort();
  if (unique.length === 0) return "server 127.0.0.1:1 down;\n";
  return unique.map((host) => `server ${host}:${port} resolve;`).join("\n") + "\n";
}

/**
 * The replicas as one upstream with a pool of idle connections per worker (no new TCP
 * connection per request), in a shared zone, which `resolve` needs.
 */
function upstreamBlock(nginx: NginxSettings): NginxLine {
  return block(`upstream ${UPSTREAM_NAME}`, [
    `zone ${UPSTREAM_NAME} 256k;`,
    `include ${UPSTREAM_SERVERS_FILE};`,
    ...(nginx.upstreamKeepalive > 0
      ? [`keepalive ${nginx.upstreamKeepalive};`, `keepalive_timeout ${UPSTREAM_KEEPALIVE_TIMEOUT_SECONDS}s;`]
      : []),
  ]);
}

/** Per-client-IP zones: the general API limit, the auth limit, /health, concurrent connections. */
const API_ZONE = "api";
const AUTH_ZONE = "auth";
const HEALTH_ZONE = "health";
const CONN_ZONE = "perip";

/**
 * /health's own per-IP limit, at least 10 r/s with a burst of 20: Docker healthchecks and
 * operators never come near it, yet each request runs a database and a Redis round trip, so it
 * cannot be used to hammer them. It is never stricter than the general limit, so lifting that
 * (load tests, benchmarks) lifts this one too. One zone for both ports: alternating them does
 * not double a client's rate.
 */
export const HEALTH_MIN_RATE_PER_SECOND = 10;
export const HEALTH_MIN_BURST = 20;

export function healthRateLimit(nginx: NginxSettings): { readonly ratePerSecond: number; readonly burst: number } {
  return {
    ratePerSecond: Math.max(HEALTH_MIN_RATE_PER_SECOND, nginx.rateLimit.ratePerSecond),
    burst: Math.max(HEALTH_MIN_BURST, nginx.rateLimit.burst),
  };
}

/**
 * Mozilla's "intermediate" TLS 1.2 suites (TLS 1.3 suites are not configurable here and are
 * all sound). DHE suites are left out because they need an ssl_dhparam file.
 */
const TLS12_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

/**
 * The request's path without its query string, which can carry tokens or personal data that
 * must not end up in logs. Taken from $request_uri (what the client sent) rather than $uri,
 * which an internal redirect rewrites: every maintenance 503 would be logged as the page's URI.
 */
const REQUEST_PATH_VARIABLE = "$dean_request_path";

function requestPathMap(): NginxLine {
  return block(`map $request_uri ${REQUEST_PATH_VARIABLE}`, [`"~^(?<dean_path>[^?]*)" $dean_path;`]);
}

/**
 * The JSON access log. Numbers that are always numeric stay unquoted; upstream fields are
 * strings because nginx writes `-` or a comma-separated list when a request was retried.
 * `request` keeps the shape of nginx's $request (method, path, protocol) without the query.
 */
const ACCESS_LOG_FORMAT = [
  `"time":"$time_iso8601"`,
  `"remote_addr":"$remote_addr"`,
  `"host":"$host"`,
  `"request":"$request_method ${REQUEST_PATH_VARIABLE} $server_protocol"`,
  `"status":$status`,
  `"body_bytes_sent":$body_bytes_sent`,
  `"request_time":$request_time`,
  `"ssl_protocol":"$ssl_protocol"`,
  `"upstream_connect_time":"$upstream_connect_time"`,
  `"upstream_header_time":"$upstream_header_time"`,
  `"upstream_response_time":"$upstream_response_time"`,
  `"upstream_addr":"$upstream_addr"`,
  `"upstream_status":"$upstream_status"`,
  `"request_id":"$request_id"`,
  `"http_user_agent":"$http_user_agent"`,
].join(",");

/**
 * Response headers the orchestrator sets for its own diagnostics (its version, the replica's
 * container ID): they tell an attacker which release and how many replicas run, so nginx
 * drops them from every proxied response.
 */
const HIDDEN_UPSTREAM_HEADERS = ["X-Dean-Version", "X-Replica"];

function limitReq(zone: string, burst: number, nodelay: boolean): string {
  // nginx rejects `burst=0`; leaving it out means the same thing.
  const parts = [`limit_req zone=${zone}`];
  if (burst > 0) parts.push(`burst=${burst}`);
  if (nodelay) parts.push("nodelay");
  return `${parts.join(" ")};`;
}

/** The general per-IP limit that every proxied route (except /health) carries. */
function apiLimit(nginx: NginxSettings): string {
  return limitReq(API_ZONE, nginx.rateLimit.burst, nginx.rateLimit.nodelay);
}

function authLimit(nginx: NginxSettings): string {
  return limitReq(AUTH_ZONE, nginx.authRateLimit.burst, nginx.authRateLimit.nodelay);
}

function healthLimit(nginx: NginxSettings): string {
  return limitReq(HEALTH_ZONE, healthRateLimit(nginx).burst, true);
}

/**
 * add_header is inherited only by locations that declare none of their own, so every location
 * that adds a header repeats these. HSTS is sent over TLS only (browsers ignore it on HTTP).
 */
function securityHeaders(tls: boolean): string[] {
  return [
    ...(tls ? [`add_header Strict-Transport-Security "max-age=31536000" always;`] : []),
    `add_header X-Content-Type-Options "nosniff" always;`,
    `add_header X-Frame-Options "DENY" always;`,
    `add_header Referrer-Policy "no-referrer" always;`,
  ];
}

/**
 * What the API and /health answer is JSON for programs: never a document to render, embed or
 * keep. Set at server level, so every proxied location and every error page inherits them.
 */
function apiResponseHeaders(): string[] {
  return [
    `add_header Content-Security-Policy "default-src 'none'; frame-ancestors 'none'" always;`,
    `add_header Cache-Control "no-store" always;`,
  ];
}

/** The maintenance page is a document with an inline style and nothing else to load. */
const MAINTENANCE_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/** Deny list: checked in the access phase of every location of both named servers. */
function accessRules(nginx: NginxSettings): string[] {
  if (nginx.blockedIps.length === 0) return [];
  return [...nginx.blockedIps.map((ip) => `deny ${ip};`), "allow all;"];
}

/**
 * /health carries its own limit (see healthRateLimit), and its errors are answered by nginx:
 * with proxy_intercept_errors an orchestrator's 5xx, whose body names the failing dependency
 * and its exception, is replaced by a bare `{"status":"unhealthy"}`.
 */
function healthLocation(nginx: NginxSettings): NginxLine {
  return block("location = /health", [healthLimit(nginx), "proxy_intercept_errors on;", ...healthResendErrorPages(), `proxy_pass ${PROXY_TARGET};`]);
}

/** `path` as a PCRE pattern matching itself literally. */
function regexLiteral(path: string): string {
  return path.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&");
}

/**
 * One location per auth path, matched case-insensitively (`~*`): a prefix location is
 * case-sensitive, so `/API/auth/login` would skip the auth limit. Whether the orchestrator
 * serves such a path is its business; the limit holds however the client spells it. Each
 * repeats the general limit because a location's own limit_req replaces inherited ones.
 */
function authLocations(nginx: NginxSettings): NginxLine[] {
  const paths = [...new Set(nginx.authRateLimit.paths)].filter((path) => path !== "/");
  return paths.map((path) => block(`location ~* ^${regexLiteral(path)}`, [authLimit(nginx), apiLimit(nginx), ...apiResendErrorPages(), `proxy_pass ${PROXY_TARGET};`]));
}

/** The catch-all API route. An auth path of `/` makes the whole API carry the auth limit too. */
function apiLocation(nginx: NginxSettings): NginxLine {
  const limits = nginx.authRateLimit.paths.includes("/") ? [authLimit(nginx), apiLimit(nginx)] : [apiLimit(nginx)];
  return block("location /", [...limits, ...apiResendErrorPages(), `proxy_pass ${PROXY_TARGET};`]);
}

/**
 * Hands the request to `fallback` (a status `=503` or a named location) only after the access
 * and limit phases: `return` runs in the rewrite phase, before them, so a blocked or flooding
 * client would get the answer meant for everyone. try_files runs after them; the file it looks
 * for never exists, in a directory that always does (the maintenance page's).
 */
function afterAccessChecks(input: NginxConfInput, fallback: string): string[] {
  return [`root ${input.maintenancePageDir};`, `try_files /.no-such-file-dean ${fallback};`];
}

/** Maintenance mode: everything but /health answers 503 with the page, after the deny list and the rate limit. */
function maintenanceLocations(input: NginxConfInput): NginxLine[] {
  return [
    `error_page 503 ${MAINTENANCE_URI};`,
    block(`location = ${MAINTENANCE_URI}`, [
      "internal;",
      // A client asking for the page itself would get the 404 of an internal location.
      `error_page 404 =503 ${MAINTENANCE_URI};`,
      `root ${input.maintenancePageDir};`,
      `add_header Retry-After "${MAINTENANCE_RETRY_AFTER_SECONDS}" always;`,
      `add_header Cache-Control "no-store" always;`,
      `add_header Content-Security-Policy "${MAINTENANCE_PAGE_CSP}" always;`,
      ...securityHeaders(true),
    ]),
    block("location /", [apiLimit(input.nginx), ...afterAccessChecks(input, "=503")]),
  ];
}

/** What both named servers share: deny list, connection limit, upstream, error pages. */
function serverCommon(input: NginxConfInput): string[] {
  const { nginx } = input;
  return [
    ...accessRules(nginx),
    `limit_conn ${CONN_ZONE} ${nginx.connectionsPerIp};`,
    // Maintenance answers its 503s with the page instead.
    ...errorPages(nginx.maintenance ? [503] : []),
  ];
}

/**
 * The public HTTPS server, for the configured name only (the catch-all takes any other). The
 * TLS protocol settings are in the http block: see tlsSettings().
 */
function httpsServer(input: NginxConfInput): NginxLine {
  const { nginx } = input;
  const routes = nginx.maintenance ? maintenanceLocations(input) : [...authLocations(nginx), apiLocation(nginx)];
  return block("server", [
    "listen 443 ssl;",
    `server_name ${nginx.serverName};`,
    `ssl_certificate ${input.tlsCertificatePath};`,
    `ssl_certificate_key ${input.tlsKeyPath};`,
    "",
    ...securityHeaders(true),
    ...apiResponseHeaders(),
    "",
    ...serverCommon(input),
    "",
    healthLocation(nginx),
    ...routes,
    ...resendLocations(input.replicaAlias, { api: apiLimit(nginx), health: healthLimit(nginx) }),
    unhealthyLocation(),
    ...errorLocations(),
  ]);
}

/** The HTTPS URL prefix of the public server: always the configured name, never the client's Host. */
function httpsOrigin(nginx: NginxSettings): string {
  return `https://${nginx.serverName}${nginx.httpsPort === 443 ? "" : `:${nginx.httpsPort}`}`;
}

/** Port 80 answers /health and redirects everything else to HTTPS, for the configured name only. */
function httpServer(input: NginxConfInput): NginxLine {
  const { nginx } = input;
  return block("server", [
    "listen 80;",
    `server_name ${nginx.serverName};`,
    "",
    ...securityHeaders(false),
    ...apiResponseHeaders(),
    "",
    ...serverCommon(input),
    "",
    healthLocation(nginx),
    // The redirect waits for the access phase: a blocked client gets 403 here too.
    block("location /", afterAccessChecks(input, "@to_https")),
    block("location @to_https", bodilessRedirect(`${httpsOrigin(nginx)}$request_uri`)),
    emptyBodyLocation(),
    ...resendLocations(input.replicaAlias, { api: apiLimit(nginx), health: healthLimit(nginx) }),
    unhealthyLocation(),
    ...errorLocations(),
  ]);
}

/**
 * The default servers of both ports take every request that does not name serverName (a
 * scanner by IP, a forged Host, DNS rebinding) and answer nothing: 444 closes the connection,
 * and on 443 ssl_reject_handshake refuses the TLS handshake for any other SNI name (or none),
 * so the certificate is not even shown. The `listen ... default_server;` lines are kept exactly
 * as they are: the integration tests and tools rewrite those texts.
 */
function catchAllServers(): NginxLine[] {
  return [
    block("server", ["listen 80 default_server;", "return 444;", ...dropErrorPages()]),
    block("server", [
      "listen 443 ssl default_server;",
      "ssl_reject_handshake on;",
      // A handshake made for serverName whose request then names another Host lands here.
      "return 444;",
      ...dropErrorPages(),
    ]),
  ];
}

/**
 * TLS protocol settings at http level: OpenSSL starts every handshake in the default (catch-all)
 * server's context and keeps its protocol versions after SNI selects the named server, so set
 * on the named server alone they would not hold.
 */
function tlsSettings(): string[] {
  return [
    "ssl_protocols TLSv1.2 TLSv1.3;",
    `ssl_ciphers ${TLS12_CIPHERS};`,
    "ssl_prefer_server_ciphers off;",
    "ssl_session_cache shared:TLS:10m;",
    "ssl_session_timeout 1d;",
    "# Tickets would reuse one key for the container's lifetime and weaken forward secrecy.",
    "ssl_session_tickets off;",
  ];
}

/**
 * With a catch-all beside each named server nginx hashes the server names, and a bucket must
 * hold the longest one: the default (64 bytes) refuses names over about 45 characters, and
 * the schema allows 253. A bucket needs the name plus two pointers; nginx wants a power of two.
 */
export function serverNamesHashBucketSize(serverName: string): number {
  const needed = serverName.length + 2 + 2 * 8;
  let size = 64;
  while (size < needed) size *= 2;
  return size;
}

function httpBlock(input: NginxConfInput): NginxLine {
  const { nginx } = input;
  return block("http", [
    "include /etc/nginx/mime.types;",
    "default_type application/octet-stream;",
    "server_tokens off;",
    "sendfile on;",
    "keepalive_timeout 65s;",
    `keepalive_min_timeout ${CLIENT_KEEPALIVE_MIN_SECONDS}s;`,
    "client_max_body_size 10m;",
    "client_body_timeout 30s;",
    "client_header_timeout 15s;",
    "send_timeout 60s;",
    `server_names_hash_bucket_size ${serverNamesHashBucketSize(nginx.serverName)};`,
    "",
    requestPathMap(),
    `log_format dean_json escape=json '{${ACCESS_LOG_FORMAT}}';`,
    "access_log /dev/stdout dean_json;",
    "",
    ...tlsSettings(),
    "",
    "# Per client IP: the general API limit, the stricter auth limit, /health, concurrent connections.",
    `limit_req_zone $binary_remote_addr zone=${API_ZONE}:10m rate=${nginx.rateLimit.ratePerSecond}r/s;`,
    `limit_req_zone $binary_remote_addr zone=${AUTH_ZONE}:10m rate=${nginx.authRateLimit.ratePerMinute}r/m;`,
    `limit_req_zone $binary_remote_addr zone=${HEALTH_ZONE}:10m rate=${healthRateLimit(nginx).ratePerSecond}r/s;`,
    "limit_req_status 429;",
    "limit_req_log_level warn;",
    `limit_conn_zone $binary_remote_addr zone=${CONN_ZONE}:10m;`,
    "limit_conn_status 429;",
    "",
    "# The replicas, each by name, re-resolved as Docker restarts them (server ... resolve), and the",
    "# alias of them all, resolved per request for a request resent (the @resend_* locations).",
    `resolver ${input.resolver} valid=${UPSTREAM_DNS_CACHE_SECONDS}s ipv6=off;`,
    "resolver_timeout 5s;",
    upstreamBlock(nginx),
    "# HTTP/1.1 without `Connection: close`: what lets an upstream connection be reused.",
    "proxy_http_version 1.1;",
    `proxy_set_header Connection "";`,
    "# The orchestrator sees the configured name, never a Host the client made up.",
    `proxy_set_header Host ${nginx.serverName};`,
    "proxy_set_header X-Real-IP $remote_addr;",
    "# nginx is the edge: a client-supplied X-Forwarded-For is replaced, not trusted.",
    "proxy_set_header X-Forwarded-For $remote_addr;",
    "proxy_set_header X-Forwarded-Proto $scheme;",
    `proxy_set_header X-Forwarded-Host ${nginx.serverName};`,
    "proxy_set_header X-Request-ID $request_id;",
    ...HIDDEN_UPSTREAM_HEADERS.map((name) => `proxy_hide_header ${name};`),
    `proxy_connect_timeout ${UPSTREAM_CONNECT_TIMEOUT_SECONDS}s;`,
    "proxy_send_timeout 60s;",
    "proxy_read_timeout 60s;",
    "# A replica that fails is skipped; non-idempotent requests are never retried.",
    "proxy_next_upstream error timeout http_502 http_503;",
    "proxy_next_upstream_tries 3;",
    "proxy_next_upstream_timeout 15s;",
    "",
    ...catchAllServers(),
    "",
    httpServer(input),
    "",
    httpsServer(input),
  ]);
}

/**
 * The complete nginx.conf of the edge container, for nginx 1.27.4 and later
 * (NGINX_MINIMUM_VERSION: upstream servers with `resolve`, keepalive_min_timeout); no HTTP/2.
 */
export function renderNginxConf(input: NginxConfInput): string {
  const lines: NginxLine[] = [
    "# Rendered by dean-infra (components/render/nginx-conf.ts); change the stack config, not this file.",
    "worker_processes auto;",
    "error_log /dev/stderr warn;",
    "",
    block("events", ["worker_connections 2048;"]),
    "",
    httpBlock(input),
  ];
  return renderNginxLines(lines).join("\n") + "\n";
}
