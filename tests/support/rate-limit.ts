/**
 * nginx's `limit_req` with `burst` and `nodelay` admits burst + 1 of requests sent at once, plus
 * what drips back into the zone at its rate while they are still arriving. Tests that send a
 * burst time it and allow exactly that refill: a slow machine (TLS handshakes spread over more
 * than a second) cannot fail them, while a limit that is off or wrong still does.
 */

/** Runs `send` and measures how long it took, in seconds. */
export async function timed<T>(send: () => Promise<T>): Promise<{ readonly value: T; readonly seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await send();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

export interface BurstOutcome {
  /** Answers with the status the limit lets through (200, or 401 behind authentication). */
  readonly admitted: number;
  /** Answers with 429. */
  readonly limited: number;
  /** Anything else: always a failure. */
  readonly other: number;
}

/** Sorts a burst's statuses into admitted, limited (429) and other. */
export function burstOutcome(statuses: readonly number[], admittedStatus: number): BurstOutcome {
  const admitted = statuses.filter((status) => status === admittedStatus).length;
  const limited = statuses.filter((status) => status === 429).length;
  return { admitted, limited, other: statuses.length - admitted - limited };
}

/** The most a zone may admit of a burst that took `seconds`: burst + 1 plus the refill. */
export function mostAdmitted(burst: number, perSecond: number, seconds: number): number {
  return burst + 1 + Math.ceil(seconds * perSecond);
}

export interface Zone {
  /** The status an admitted request gets (200, or 401 behind authentication). */
  readonly admittedStatus: number;
  readonly burst: number;
  readonly perSecond: number;
}

/**
 * Asserts that a burst sent at once, which took `seconds`, was answered only with the admitted
 * status or 429, and that the zone admitted burst + 1 plus at most its refill. Returns how many
 * it admitted.
 */
export function expectZoneAdmitted(statuses: readonly number[], zone: Zone, seconds: number): number {
  const outcome = burstOutcome(statuses, zone.admittedStatus);
  expect(outcome).toEqual({ admitted: outcome.admitted, limited: statuses.length - outcome.admitted, other: 0 });
  expect(outcome.admitted).toBeGreaterThanOrEqual(zone.burst + 1);
  expect(outcome.admitted).toBeLessThanOrEqual(mostAdmitted(zone.burst, zone.perSecond, seconds));
  return outcome.admitted;
}
