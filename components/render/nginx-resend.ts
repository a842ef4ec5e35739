/**
 * A second chance for a request no replica has received: sent once more by the network alias
 * every replica carries when the replicas' upstream gave up on it.
 *
 * Why the upstream gives up: its servers follow DNS (`server <replica> resolve`), and nginx
 * does not retry a request on another server once the upstream's resolved servers changed while
 * the request was in flight (ngx_http_upstream_get_round_robin_peer answers "busy" when the
 * zone's configuration generation moved on). That happens exactly when a replica stops outside
 * Pulumi (a crash, `docker stop`, Docker restarting it): a request connecting to its address
 * waits out the connect timeout, its name stops resolving meanwhile, and nginx answers 504 (or
 * 502) although other replicas are up. A release never causes it: replicas Pulumi removes leave
 * the upstream by a reload first.
 *
 * The second attempt proxies through a variable, so nginx resolves the alias per request into
 * an upstream of its own, which has no zone and no generation: a stale address costs one connect
 * timeout, then the next address is tried. Only a request of which no byte reached any replica
 * ($upstream_bytes_sent all zero) is sent again, so a POST never runs twice; a request that was
 * sent keeps its 502 or 504.
 */

import { block, type NginxLine } from "./nginx-blocks";
import { errorBody, errorPages, healthErrorPages, UNHEALTHY_BODY } from "./nginx-error-pages";

/** What nginx answers when the upstream gave up: no server left to try (502), a connect timed out (504). */
export const RESENT_STATUSES: readonly number[] = [502, 504];

/** A DNS name that resolves to every replica (a Docker network alias) and their port. */
export interface ReplicaAlias {
  readonly host: string;
  readonly port: number;
}

const apiResendLocation = (status: number): string => `@resend_${status}`;
const HEALTH_RESEND_LOCATION = "@resend_health";
const ALIAS_TARGET_VARIABLE = "$dean_replicas_by_alias";

/**
 * True when some attempt sent bytes to a replica. $upstream_bytes_sent lists every attempt of
 * the request ("0, 0", and " : " across the redirect to the resend location).
 */
const SOME_BYTES_SENT = `$upstream_bytes_sent ~ "[1-9]"`;

/**
 * The error pages of a location proxying the API: nginx's JSON bodies, except 502 and 504,
 * which go to the resend first. `=` lets the resent request's own status through.
 * recursive_error_pages lets a failed resend still get its JSON body (nginx's own page otherwise).
 */
export function apiResendErrorPages(): string[] {
  return [
    "recursive_error_pages on;",
    ...errorPages(RESENT_STATUSES),
    ...RESENT_STATUSES.map((status) => `error_page ${status} = ${apiResendLocation(status)};`),
  ];
}

/** The same for /health: its other 5xx become `{"status":"unhealthy"}` at once (healthErrorPages). */
export function healthResendErrorPages(): string[] {
  return [
    "recursive_error_pages on;",
    ...healthErrorPages(RESENT_STATUSES),
    `error_page ${RESENT_STATUSES.join(" ")} = ${HEALTH_RESEND_LOCATION};`,
  ];
}

/** The limit_req lines of the locations a resend comes from. */
export interface ResendLimits {
  readonly api: string;
  readonly health: string;
}

/**
 * The named locations the pages above point at, one per server that proxies. A failure of the
 * resend itself gets the error pages these locations inherit from their server (the JSON
 * bodies) or, for /health, the unhealthy body. Each repeats its route's limit_req: nginx applies
 * limit_req once per request, so a resent request is not counted twice, and the location stays
 * limited should anything else ever lead to it (the policy pack wants a limit wherever nginx proxies).
 */
export function resendLocations(alias: ReplicaAlias, limits: ResendLimits): NginxLine[] {
  const proxyByAlias = [`set ${ALIAS_TARGET_VARIABLE} http://${alias.host}:${alias.port};`, `proxy_pass ${ALIAS_TARGET_VARIABLE};`];
  return [
    ...RESENT_STATUSES.map((status) =>
      block(`location ${apiResendLocation(status)}`, [
        limits.api,
        "default_type application/json;",
        block(`if (${SOME_BYTES_SENT})`, [`return ${status} '${errorBody(status)}';`]),
        ...proxyByAlias,
      ]),
    ),
    block(`location ${HEALTH_RESEND_LOCATION}`, [
      limits.health,
      "default_type application/json;",
      "proxy_intercept_errors on;",
      ...healthErrorPages(),
      block(`if (${SOME_BYTES_SENT})`, [`return 503 '${UNHEALTHY_BODY}';`]),
      ...proxyByAlias,
    ]),
  ];
}
