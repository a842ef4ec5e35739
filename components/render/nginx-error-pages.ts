import { block, type NginxLine } from "./nginx-blocks";

/**
 * nginx's own error responses (a blocked client's 403, a limited client's 429, a 502 when no
 * replica answers, ...) are HTML pages whose footer names nginx; `server_tokens off` only drops
 * the version. Every status nginx itself produces is answered instead from a named location
 * with a small JSON body in the orchestrator's own error shape (`{"detail": ...}`, as FastAPI
 * answers), so clients parse nginx's errors like the API's.
 *
 * The `Server: nginx` response header stays: removing it needs the headers-more module
 * (`more_clear_headers`), which neither Debian's nginx (the test image) nor the
 * stock nginx image has. The bodies never name nginx.
 *
 * Named locations (`@...`) rather than internal URIs: no request can reach them directly, and
 * their `return` runs in the rewrite phase, before the access phase, so the 403 answering a
 * blocked client is not itself refused again (which would fall back to nginx's page). A named
 * location needs a parsed request line; the named servers only ever see such requests (nginx
 * picks them by the Host header, which follows the line), the catch-alls use dropErrorPages().
 */

/** Statuses nginx generates itself, each with the reason phrase its body carries. */
const NGINX_STATUSES: ReadonlyMap<number, string> = new Map([
  [400, "Bad Request"],
  [403, "Forbidden"],
  [404, "Not Found"],
  [405, "Method Not Allowed"],
  [408, "Request Timeout"],
  [413, "Content Too Large"],
  [414, "URI Too Long"],
  [429, "Too Many Requests"],
  [500, "Internal Server Error"],
  [501, "Not Implemented"],
  [502, "Bad Gateway"],
  [503, "Service Unavailable"],
  [504, "Gateway Timeout"],
  [505, "HTTP Version Not Supported"],
]);

/**
 * nginx's private codes, sent to clients as 400 with a page of their own: 494 (request header
 * too large) and 497 (plain HTTP sent to the HTTPS port).
 */
const SENT_AS_400 = [494, 497] as const;

/** The body /health answers with instead of the orchestrator's own error (which names the failing dependency). */
export const UNHEALTHY_BODY = `{"status":"unhealthy"}`;
const UNHEALTHY_LOCATION = "@unhealthy";
/** The status /health answers with whenever the orchestrator or nginx failed it. */
const UNHEALTHY_STATUS = 503;

const EMPTY_BODY_LOCATION = "@empty";

/** Every status nginx generates itself, in ascending order. */
export const NGINX_ERROR_STATUSES: readonly number[] = [...NGINX_STATUSES.keys()];

/** The JSON body nginx answers `status` with. */
export function errorBody(status: number): string {
  const reason = NGINX_STATUSES.get(status);
  if (reason === undefined) throw new Error(`no error body for status ${status}`);
  return JSON.stringify({ detail: reason });
}

const errorLocation = (status: number): string => `@error_${status}`;

/** The statuses one error_page directive covers: 400 also takes nginx's private 4xx codes. */
const coveredBy = (status: number): number[] => (status === 400 ? [400, ...SENT_AS_400] : [status]);

/**
 * error_page directives sending nginx's own errors to the JSON bodies, except `handledElsewhere`
 * (maintenance answers 503 with its page). error_page is inherited only by levels that declare
 * none, so a location with its own error_page repeats these.
 */
export function errorPages(handledElsewhere: readonly number[] = []): string[] {
  return NGINX_ERROR_STATUSES.filter((status) => !handledElsewhere.includes(status)).map(
    (status) => `error_page ${coveredBy(status).join(" ")} ${errorLocation(status)};`,
  );
}

/**
 * The named locations errorPages() points at; every server that uses errorPages() declares them.
 * The response keeps the status that was sent here; `return` needs one and repeats it.
 */
export function errorLocations(): NginxLine[] {
  return NGINX_ERROR_STATUSES.map((status) =>
    block(`location ${errorLocation(status)}`, ["default_type application/json;", `return ${status} '${errorBody(status)}';`]),
  );
}

const isServerError = (status: number): boolean => status >= 500;

/**
 * /health's error pages: a 5xx, the orchestrator's (with proxy_intercept_errors on) or
 * nginx's, becomes 503 with UNHEALTHY_BODY, so the reason the orchestrator gives (exception
 * text naming the database or Redis) never leaves the stack; the 4xx keep their JSON bodies.
 * `handledElsewhere` are 5xx a location sends somewhere else first (see nginx-resend.ts).
 */
export function healthErrorPages(handledElsewhere: readonly number[] = []): string[] {
  const serverErrors = NGINX_ERROR_STATUSES.filter(isServerError);
  return [
    ...errorPages(serverErrors),
    // `=503`: without it the response keeps the status that sent it here (a 502, say).
    `error_page ${serverErrors.filter((status) => !handledElsewhere.includes(status)).join(" ")} =${UNHEALTHY_STATUS} ${UNHEALTHY_LOCATION};`,
  ];
}

/** The named location healthErrorPages() points at. */
export function unhealthyLocation(): NginxLine {
  return block(`location ${UNHEALTHY_LOCATION}`, ["default_type application/json;", `return ${UNHEALTHY_STATUS} '${UNHEALTHY_BODY}';`]);
}

/**
 * The catch-all servers close the connection (444) on everything. A request nginx cannot even
 * parse (a broken request line, a URI or header too large, plain HTTP on 443) is refused
 * before their `return 444` runs; its error page redirects it internally, which runs that
 * `return 444` after all, instead of sending nginx's page. The target is a URI, not a named
 * location: nginx cannot hand a request whose line it could not parse to a named location.
 */
export function dropErrorPages(): string[] {
  return [`error_page ${[...NGINX_ERROR_STATUSES, ...SENT_AS_400].join(" ")} /;`];
}

/**
 * A redirect without nginx's body: `return 301` sends a page whose footer names nginx, so the
 * location's own error_page (which 3xx responses go through too) swaps it for an empty body,
 * `=301` keeping the status; the Location header the `return` set stays.
 */
export function bodilessRedirect(target: string): string[] {
  return [`error_page 301 =301 ${EMPTY_BODY_LOCATION};`, `return 301 ${target};`];
}

/** The named location bodilessRedirect() points at. */
export function emptyBodyLocation(): NginxLine {
  return block(`location ${EMPTY_BODY_LOCATION}`, ["default_type text/plain;", `return 200 "";`]);
}
