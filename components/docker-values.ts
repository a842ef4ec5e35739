/**
 * Values in the form the Docker provider reads them back from the engine. The provider stores
 * what Docker reports, not what was sent, so an input written any other way ("1" for one CPU,
 * "300s" for five minutes) differs from the state on every update: `cpus` forces a replacement,
 * a healthcheck duration an update. Sending the read-back form keeps an unchanged stack
 * unchanged under a second `pulumi up`.
 */

const NANOS_PER_CPU = 1_000_000_000;

/** Round half away from zero, as Go's big.Rat.FloatString does. */
function roundHalfAwayFromZero(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value));
}

/**
 * `cpus` as the provider reads it back (terraform-provider-docker's nanoInt64ToDecimalString):
 * nine decimals; when exactly nine of its digits are zeros, one decimal, rounded ("1.0", "0.5",
 * but 0.05 reads back as "0.1"); otherwise trailing zeros trimmed ("0.25", and "10." for ten).
 */
export function dockerCpus(cpus: number): string {
  const nanos = Math.round(cpus * NANOS_PER_CPU);
  if (nanos === 0) return "0";
  const nine = `${Math.floor(nanos / NANOS_PER_CPU)}.${String(nanos % NANOS_PER_CPU).padStart(9, "0")}`;
  if ((nine.match(/0/g) ?? []).length === 9) {
    const tenths = roundHalfAwayFromZero(nanos / (NANOS_PER_CPU / 10));
    return `${Math.floor(tenths / 10)}.${tenths % 10}`;
  }
  return nine.replace(/0+$/, "");
}

/** True when Docker reads `cpus` back as the same amount (0.05 is read back as 0.1, a different limit). */
export function cpusReadBackUnchanged(cpus: number): boolean {
  return Math.round(Number(dockerCpus(cpus)) * NANOS_PER_CPU) === Math.round(cpus * NANOS_PER_CPU);
}

/** A whole number of seconds as Go's time.Duration prints it: "5s", "1m30s", "1h0m0s". */
export function goDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`goDuration takes whole seconds >= 0 (got ${seconds})`);
  if (seconds === 0) return "0s";
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (hours > 0) return `${hours}h${minutes}m${rest}s`;
  if (minutes > 0) return `${minutes}m${rest}s`;
  return `${rest}s`;
}
