/**
 * Go duration strings ("5s", "1m30s", "250ms") as the Docker provider parses them with
 * time.ParseDuration, converted to the nanoseconds the Engine API expects.
 */
const UNIT_NANOSECONDS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "µs": 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

/** Nanoseconds of a Go duration string; throws on anything time.ParseDuration would refuse. */
export function goDurationNanoseconds(text: string): number {
  if (text === "0") return 0;
  if (!DURATION.test(text)) throw new Error(`${JSON.stringify(text)} is not a Go duration such as 5s, 1m30s or 250ms`);
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_NANOSECONDS[unit];
  return Math.round(total);
}
