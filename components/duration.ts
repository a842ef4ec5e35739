/**
 * Durations as config writes them: a whole number and a unit, `90s`, `15m`, `24h` or `7d`.
 * Bounded before it is multiplied out: 99999999999999999999d would otherwise reach the backup
 * script as 8.64e+24 seconds.
 */

const SECONDS_PER_UNIT: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds in a duration such as `24h` (NaN when it is not one). */
export function durationSeconds(value: string): number {
  return Number(value.slice(0, -1)) * (SECONDS_PER_UNIT[value.slice(-1)] ?? Number.NaN);
}

/** Why `value` is not a duration between `min` and `max` (durations too), as a "must ..." phrase. */
export function durationProblem(value: string, min: string, max: string): string | undefined {
  const message = `must be a duration between ${min} and ${max}, such as 90s, 15m, 24h or 7d`;
  if (!/^[1-9][0-9]{0,8}[smhd]$/.test(value)) return message;
  const seconds = durationSeconds(value);
  return seconds < durationSeconds(min) || seconds > durationSeconds(max) ? message : undefined;
}
