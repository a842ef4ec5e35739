import http from "node:http";
import https from "node:https";
import { performance } from "node:perf_hooks";
import { isFailedStatus, type LoadOptions, type LoadResult, MAX_ERRORS, validateLoad } from "./load";

/**
 * Bounded load as runLoad (load.ts) measures it, sent the way HTTP clients send it: through
 * Node's HTTP client, one keep-alive agent (one connection at a time) per connection.
 *
 * Why not autocannon here: it writes the next request on a connection right after a response
 * that said `Connection: close` (lib/httpClient.js, pinned 9.0.0), which RFC 9112 section 9.6
 * forbids a client. nginx's old workers answer so after a reload (keepalive_min_timeout), so
 * every reload cost autocannon one request per connection, where a browser, curl or Node
 * open a new connection. The availability benchmark, whose changes reload nginx, uses this.
 *
 * Requests are spaced evenly over the second across the connections, one in flight per
 * connection (a slow answer delays that connection's next request, never queues more). Every
 * request ends with a response or an error, so nothing is unanswered.
 */
export async function runKeepAliveLoad(options: LoadOptions): Promise<LoadResult> {
  validateLoad(options);
  const url = new URL(options.url);
  const secure = url.protocol === "https:";
  const headers = options.serverName === undefined ? { ...options.headers } : { ...options.headers, host: options.serverName };
  const timeoutMs = (options.timeoutSeconds ?? 10) * 1000;
  const maxErrors = options.maxErrors ?? MAX_ERRORS;

  const statuses: Record<number, number> = {};
  const latenciesMs: number[] = [];
  let errors = 0;
  let sent = 0;
  let firstFailure: number | undefined;
  let lastFailure: number | undefined;
  const failedNow = (): void => {
    lastFailure = Date.now();
    firstFailure ??= lastFailure;
  };

  let stopped = false;
  void options.until?.finally(() => {
    stopped = true;
  }).catch(() => undefined);

  const send = (agent: http.Agent): Promise<void> =>
    new Promise((resolve) => {
      const begun = performance.now();
      let settled = false;
      const failed = (): void => {
        if (settled) return;
        settled = true;
        errors++;
        failedNow();
        resolve();
      };
      const request = (secure ? https : http).request(url, {
        agent,
        headers,
        timeout: timeoutMs,
        ...(secure ? { servername: options.serverName, rejectUnauthorized: false } : {}),
      }, (response) => {
        response.resume();
        response.on("end", () => {
          if (settled) return;
          settled = true;
          const status = response.statusCode ?? 0;
          statuses[status] = (statuses[status] ?? 0) + 1;
          latenciesMs.push(performance.now() - begun);
          if (isFailedStatus(status)) failedNow();
          resolve();
        });
        response.on("error", failed);
      });
      request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on("error", failed);
      request.end();
    });

  const started = Date.now();
  const deadline = started + options.seconds * 1000;
  const connection = async (index: number): Promise<void> => {
    const agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 1 }) : new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let round = 0; ; round++) {
        const due = started + ((round * options.connections + index) * 1000) / options.rate;
        if (due >= deadline) break;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (stopped || errors >= maxErrors) break;
        sent++;
        await send(agent);
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: options.connections }, (_, index) => connection(index)));

  const failureWindowSeconds = firstFailure === undefined || lastFailure === undefined ? 0 : (lastFailure - firstFailure) / 1000;
  return {
    sent,
    completed: latenciesMs.length + errors,
    unanswered: 0,
    statuses,
    errors,
    latenciesMs,
    durationSeconds: (Date.now() - started) / 1000,
    failureWindowSeconds,
  };
}
