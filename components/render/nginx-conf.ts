import type { NginxSettings } from "../config";
import { block, renderNginxLines, type NginxLine } from "./nginx-blocks";

export interface NginxConfInput {
  /** The validated nginx settings. */
  readonly nginx: NginxSettings;
  /** Docker DNS name that resolves to every orchestrator replica (network alias). */
  readonly upstreamHost: string;
  /** Port the orchestrator listens on. */
  readonly upstreamPort: number;
  /** DNS server to re-resolve upstreamHost with (Docker's embedded DNS: 127.0.0.11). */
  readonly resolver: string;
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
 * How long nginx keeps the replicas' resolved addresses, and waits for a connection to one.
 * A removed replica's address answers nothing, so a request that picks it waits the connect
 * timeout before nginx tries the next replica; both bound that delay after a scale-down
 * (measured in docs/benchmarks.md, availability). 2s still lets a dropped SYN to a live
 * replica be resent once (after 1s).
 */
export const UPSTREAM_DNS_CACHE_SECONDS = 2;
export const UPSTREAM_CONNECT_TIMEOUT_SECONDS = 2;

/** Per-client-IP zones: the general API limit, the auth limit, concurrent connections. */
const API_ZONE = "api";
const AUTH_ZONE = "auth";
const CONN_ZONE = "perip";

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
 * The JSON access log. Numbers that are always numeric stay unquoted; upstream fields are
 * strings because nginx writes `-` or a comma-separated list when a request was retried.
 */
const ACCESS_LOG_FORMAT = [
  `"time":"$time_iso8601"`,
  `"remote_addr":"$remote_addr"`,
  `"request":"$request"`,
  `"status":$status`,
  `"body_bytes_sent":$body_bytes_sent`,
  `"request_time":$request_time`,
  `"upstream_response_time":"$upstream_response_time"`,
  `"upstream_addr":"$upstream_addr"`,
  `"upstream_status":"$upstream_status"`,
  `"request_id":"$request_id"`,
  `"http_user_agent":"$http_user_agent"`,
].join(",");

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

/**
 * add_header is inherited only by locations that declare none of their own, so every location
 * that adds a header repeats these.
 */
function securityHeaders(): string[] {
  return [
    `add_header Strict-Transport-Security "max-age=31536000" always;`,
    `add_header X-Content-Type-Options "nosniff" always;`,
    `add_header X-Frame-Options "DENY" always;`,
    `add_header Referrer-Policy "no-referrer" always;`,
  ];
}

/** Deny list: checked in the access phase of every location of both servers. */
function accessRules(nginx: NginxSettings): string[] {
  if (nginx.blockedIps.length === 0) return [];
  return [...nginx.blockedIps.map((ip) => `deny ${ip};`), "allow all;"];
}

/** /health goes to the orchestrator without a rate limit: Docker and operators poll it. */
function healthLocation(): NginxLine {
  return block("location = /health", ["proxy_pass $orchestrator;"]);
}

/** One location per auth path; each repeats the general limit because a location's own limit_req replaces inherited ones. */
function authLocations(nginx: NginxSettings): NginxLine[] {
  const paths = [...new Set(nginx.authRateLimit.paths)].filter((path) => path !== "/");
  return paths.map((path) => block(`location ^~ ${path}`, [authLimit(nginx), apiLimit(nginx), "proxy_pass $orchestrator;"]));
}

/** The catch-all API route. An auth path of `/` makes the whole API carry the auth limit too. */
function apiLocation(nginx: NginxSettings): NginxLine {
  const limits = nginx.authRateLimit.paths.includes("/") ? [authLimit(nginx), apiLimit(nginx)] : [apiLimit(nginx)];
  return block("location /", [...limits, "proxy_pass $orchestrator;"]);
}

/**
 * Maintenance mode: everything but /health answers 503 with the page. try_files (not
 * `return`) produces the 503 because it runs after the access phase, so the deny list and
 * the rate limit still apply to a blocked or flooding client.
 */
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
      ...securityHeaders(),
    ]),
    block("location /", [apiLimit(input.nginx), `root ${input.maintenancePageDir};`, "try_files /.no-such-file-in-maintenance =503;"]),
  ];
}

function httpsServer(input: NginxConfInput): NginxLine {
  const { nginx } = input;
  const routes = nginx.maintenance ? maintenanceLocations(input) : [...authLocations(nginx), apiLocation(nginx)];
  return block("server", [
    "listen 443 ssl default_server;",
    `server_name ${nginx.serverName};`,
    "",
    `ssl_certificate ${input.tlsCertificatePath};`,
    `ssl_certificate_key ${input.tlsKeyPath};`,
    "ssl_protocols TLSv1.2 TLSv1.3;",
    `ssl_ciphers ${TLS12_CIPHERS};`,
    "ssl_prefer_server_ciphers off;",
    "ssl_session_cache shared:TLS:10m;",
    "ssl_session_timeout 1d;",
    // Tickets would reuse one key for the container's lifetime and weaken forward secrecy.
    "ssl_session_tickets off;",
    "",
    ...securityHeaders(),
    "",
    ...accessRules(nginx),
    `limit_conn ${CONN_ZONE} ${nginx.connectionsPerIp};`,
    `set $orchestrator http://${input.upstreamHost}:${input.upstreamPort};`,
    "",
    healthLocation(),
    ...routes,
  ]);
}

/** Port 80 only redirects (to the public HTTPS port) and answers /health. */
function httpServer(input: NginxConfInput): NginxLine {
  const { nginx } = input;
  const httpsAuthority = nginx.httpsPort === 443 ? "$host" : `$host:${nginx.httpsPort}`;
  return block("server", [
    "listen 80 default_server;",
    `server_name ${nginx.serverName};`,
    ...accessRules(nginx),
    `limit_conn ${CONN_ZONE} ${nginx.connectionsPerIp};`,
    `set $orchestrator http://${input.upstreamHost}:${input.upstreamPort};`,
    healthLocation(),
    block("location /", [`return 301 https://${httpsAuthority}$request_uri;`]),
  ]);
}

function httpBlock(input: NginxConfInput): NginxLine {
  const { nginx } = input;
  return block("http", [
    "include /etc/nginx/mime.types;",
    "default_type application/octet-stream;",
    "server_tokens off;",
    "sendfile on;",
    "keepalive_timeout 65s;",
    "client_max_body_size 10m;",
    "client_body_timeout 30s;",
    "client_header_timeout 15s;",
    "send_timeout 60s;",
    "",
    `log_format dean_json escape=json '{${ACCESS_LOG_FORMAT}}';`,
    "access_log /dev/stdout dean_json;",
    "",
    "# Per client IP: the general API limit, the stricter auth limit, concurrent connections.",
    `limit_req_zone $binary_remote_addr zone=${API_ZONE}:10m rate=${nginx.rateLimit.ratePerSecond}r/s;`,
    `limit_req_zone $binary_remote_addr zone=${AUTH_ZONE}:10m rate=${nginx.authRateLimit.ratePerMinute}r/m;`,
    "limit_req_status 429;",
    "limit_req_log_level warn;",
    `limit_conn_zone $binary_remote_addr zone=${CONN_ZONE}:10m;`,
    "limit_conn_status 429;",
    "",
    "# proxy_pass through a variable makes nginx resolve the replicas' network alias at request",
    "# time, so scaling the orchestrator never requires reloading nginx. A short cache and connect",
    "# timeout bound how long a request waits on a replica that was just removed.",
    `resolver ${input.resolver} valid=${UPSTREAM_DNS_CACHE_SECONDS}s ipv6=off;`,
    "resolver_timeout 5s;",
    "proxy_http_version 1.1;",
    `proxy_set_header Connection "";`,
    "proxy_set_header Host $host;",
    "proxy_set_header X-Real-IP $remote_addr;",
    "# nginx is the edge: a client-supplied X-Forwarded-For is replaced, not trusted.",
    "proxy_set_header X-Forwarded-For $remote_addr;",
    "proxy_set_header X-Forwarded-Proto $scheme;",
    "proxy_set_header X-Forwarded-Host $host;",
    "proxy_set_header X-Request-ID $request_id;",
    `proxy_connect_timeout ${UPSTREAM_CONNECT_TIMEOUT_SECONDS}s;`,
    "proxy_send_timeout 60s;",
    "proxy_read_timeout 60s;",
    "# A replica that has just gone away is skipped; non-idempotent requests are never retried.",
    "proxy_next_upstream error timeout http_502 http_503;",
    "proxy_next_upstream_tries 3;",
    "proxy_next_upstream_timeout 15s;",
    "",
    httpServer(input),
    "",
    httpsServer(input),
  ]);
}

/** The complete nginx.conf of the edge container (valid for nginx 1.22 and later, no HTTP/2). */
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
