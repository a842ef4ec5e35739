import autocannon from "autocannon";

/**
 * Bounded load through autocannon, recording every response's status and latency so that the
 * percentiles are computed from all samples (autocannon's own histogram corrects for
 * coordinated omission at a set rate, which would hide what a client actually waited).
 *
 * autocannon paces a rate per connection and per second: each connection sends its share of
 * the second's requests back to back (one in flight, no pipelining), then waits for the next
 * second. The benchmarks therefore state the rate and the connection count with each figure.
 */

/** Hard bounds on every load this module generates (the machine's rules). */
export const MAX_RATE = 200;
export const MAX_SECONDS = 300;
/**
 * autocannon reconnects at once after a refused connection, so while nothing listens (nginx
 * being replaced) it tries about a thousand times a second: this caps the attempts of one load.
 */
export const MAX_ERRORS = 50_000;

export interface LoadOptions {
  /** http:// or https:// on 127.0.0.1 only. */
  readonly url: string;
  /** Requests per second across all connections. */
  readonly rate: number;
  /** Longest the load may run; `until` may end it sooner. */
  readonly seconds: number;
  readonly connections: number;
  readonly headers?: Record<string, string>;
  /**
   * The name nginx serves (SNI and Host): it answers only its configured server name and
   * drops anything else, a bare 127.0.0.1 included. Unset for a direct (non-nginx) URL.
   */
  readonly serverName?: string;
  /** Errors after which the load ends early (default and most: MAX_ERRORS). */
  readonly maxErrors?: number;
  /** Seconds before an unanswered request counts as an error. */
  readonly timeoutSeconds?: number;
  /** When this settles the load stops (after `seconds` at the latest). */
  readonly until?: Promise<unknown>;
}

export interface LoadResult {
  /** Requests sent (see sentRequests). */
  readonly sent: number;
  /** Requests that ended, answered or with an error. */
  readonly completed: number;
  /** Status code -> count. */
  readonly statuses: Record<number, number>;
  /** Connection errors and timeouts (no HTTP response at all). */
  readonly errors: number;
  /**
   * Requests sent that neither got a response nor an error: autocannon silently resends on a
   * new connection when the server closes one cleanly mid-request. Includes up to one per
   * connection still in flight when the load stopped.
   */
  readonly unanswered: number;
  /** Latency of every answered request, ms, in the order received. */
  readonly latenciesMs: number[];
  readonly durationSeconds: number;
  /** Seconds from the first to the last failed request (0 with none or one). */
  readonly failureWindowSeconds: number;
}

export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== "127.0.0.1") throw new Error(`benchmark traffic goes to 127.0.0.1 only (got ${host} in ${url})`);
}

export function validateLoad(options: LoadOptions): void {
  assertLoopback(options.url);
  const problems: string[] = [];
  if (!(options.rate >= 1 && options.rate <= MAX_RATE)) problems.push(`rate must be 1..${MAX_RATE} r/s (got ${options.rate})`);
  if (!(options.seconds >= 1 && options.seconds <= MAX_SECONDS)) problems.push(`seconds must be 1..${MAX_SECONDS} (got ${options.seconds})`);
  if (!(Number.isInteger(options.connections) && options.connections >= 1 && options.connections <= options.rate)) {
    problems.push(`connections must be a whole number 1..rate (got ${options.connections})`);
  }
  const maxErrors = options.maxErrors ?? MAX_ERRORS;
  if (!(Number.isInteger(maxErrors) && maxErrors >= 1 && maxErrors <= MAX_ERRORS)) problems.push(`maxErrors must be a whole number 1..${MAX_ERRORS} (got ${maxErrors})`);
  if (problems.length > 0) throw new Error(`load: ${problems.join("; ")}`);
}

/**
 * autocannon 9's `requests.sent` adds each connection's whole per-second share at start, to
 * make up for requests it expects to miss, yet its listener does see them: the figure is that
 * share too high per connection (lib/run.js, pinned version). Checked against a real server
 * in tests/unit/bench/load.test.ts.
 */
export function sentRequests(reportedSent: number, rate: number, connections: number): number {
  let overcount = 0;
  for (let index = 0; index < connections; index++) {
    const share = Math.floor(rate / connections) + (index + 1 <= rate % connections ? 1 : 0);
    overcount += Math.max(share, 1);
  }
  return reportedSent - overcount;
}

/**
 * autocannon sends each second's requests at the start of the second (its per-connection
 * timers start with the load), so 600 ms into a second every connection is normally idle:
 * stopping there does not cut off a request in flight, which would count as unanswered.
 */
export function msToQuietPoint(elapsedMs: number): number {
  return (((600 - (elapsedMs % 1000)) % 1000) + 1000) % 1000;
}

/** Runs one bounded load and resolves with every response it saw. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  validateLoad(options);
  const statuses: Record<number, number> = {};
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstFailure: number | undefined;
  let lastFailure: number | undefined;
  const failedNow = (): void => {
    lastFailure = Date.now();
    firstFailure ??= lastFailure;
  };
  return new Promise<LoadResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        pipelining: 1,
        overallRate: options.rate,
        duration: options.seconds,
        timeout: options.timeoutSeconds ?? 10,
        headers: options.serverName === undefined ? options.headers : { ...options.headers, host: options.serverName },
        servername: options.serverName,
        bailout: options.maxErrors ?? MAX_ERRORS,
      },
      (error: Error | null, result: autocannon.Result) => {
        if (error) {
          reject(error);
          return;
        }
        const failureWindowSeconds = firstFailure === undefined || lastFailure === undefined ? 0 : (lastFailure - firstFailure) / 1000;
        const sent = sentRequests(result.requests.sent, options.rate, options.connections);
        const completed = latenciesMs.length + errors;
        resolve({ sent, completed, unanswered: Math.max(0, sent - completed), statuses, errors, latenciesMs, durationSeconds: result.duration, failureWindowSeconds });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      latenciesMs.push(responseTime);
      if (isFailedStatus(statusCode)) failedNow();
    });
    instance.on("reqError", () => {
      errors++;
      failedNow();
    });
    if (options.until) {
      const startedAt = Date.now();
      void options.until.finally(() => setTimeout(() => instance.stop(), msToQuietPoint(Date.now() - startedAt))).catch(() => undefined);
    }
  });
}

/** A response that is neither a success nor the rate limit's 429. */
export function isFailedStatus(status: number): boolean {
  return !(status >= 200 && status < 300) && status !== 429;
}

/** Failed responses plus requests that never got a response (errors, unanswered). */
export function failedRequests(result: Pick<LoadResult, "statuses" | "errors" | "unanswered">): number {
  const failedStatuses = Object.entries(result.statuses)
    .filter(([status]) => isFailedStatus(Number(status)))
    .reduce((sum, [, count]) => sum + count, 0);
  return failedStatuses + result.errors + result.unanswered;
}

export function answered(result: Pick<LoadResult, "statuses">): number {
  return Object.values(result.statuses).reduce((sum, count) => sum + count, 0);
}
