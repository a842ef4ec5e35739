/**
 * IPv4 addresses and CIDR ranges as config writes them: dotted decimal without leading zeros
 * (`010.0.0.1` reads as octal to some tools and decimal to others), optionally `/prefix`.
 */

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const ADDRESS = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
const PREFIX = /^(3[0-2]|[12]?\d)$/;

/** The address as a 32-bit unsigned number, or undefined when it is not dotted decimal. */
export function parseIpv4(text: string): number | undefined {
  if (!ADDRESS.test(text)) return undefined;
  return text.split(".").reduce((sum, octet) => sum * 256 + Number(octet), 0);
}

export function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join(".");
}

export interface Ipv4Range {
  readonly address: number;
  /** 32 for a single address written without a prefix. */
  readonly prefix: number;
}

/** `a.b.c.d` or `a.b.c.d/nn`, or undefined. */
export function parseIpv4Range(text: string): Ipv4Range | undefined {
  const [addressText, prefixText, ...rest] = text.split("/");
  const address = parseIpv4(addressText);
  if (address === undefined || rest.length > 0) return undefined;
  if (prefixText === undefined) return { address, prefix: 32 };
  return PREFIX.test(prefixText) ? { address, prefix: Number(prefixText) } : undefined;
}

/** The first address of the range (host bits cleared). */
export function networkAddress(range: Ipv4Range): number {
  const size = 2 ** (32 - range.prefix);
  return Math.floor(range.address / size) * size;
}

/** True when `address` lies in `cidr` (a literal such as `224.0.0.0/4`). */
export function inRange(address: number, cidr: string): boolean {
  const range = parseIpv4Range(cidr);
  return range !== undefined && networkAddress({ address, prefix: range.prefix }) === networkAddress(range);
}

const UNICAST = "must be a unicast address of the host (127.0.0.1, 0.0.0.0 or one of its own)";

/**
 * Why ports cannot be published on `value`, as a "must ..." phrase. Multicast (224.0.0.0/4),
 * the reserved block (240.0.0.0/4, with the broadcast address 255.255.255.255) and 0.x.x.x
 * other than 0.0.0.0 (every interface) cannot be bound: Docker would fail only when it starts
 * the container, after the rest of the update.
 */
export function bindAddressProblem(value: string): string | undefined {
  const address = parseIpv4(value);
  if (address === undefined) return "must be an IPv4 address (a.b.c.d, without leading zeros)";
  if (inRange(address, "224.0.0.0/4")) return `${UNICAST}; it is a multicast address`;
  if (inRange(address, "240.0.0.0/4")) return `${UNICAST}; it is the broadcast address or reserved`;
  if (address !== 0 && inRange(address, "0.0.0.0/8")) return `${UNICAST}; 0.x.x.x means "this network"`;
  return undefined;
}

/**
 * The widest range the deny list takes. A /8 is 16,777,216 addresses, the largest block ever
 * allocated to one network; anything wider, down to 0.0.0.0/0, denies a large part of the
 * internet (or everyone), operators included, and is almost always a typo.
 */
export const MIN_BLOCKED_PREFIX = 8;

/** Why `value` cannot be a deny-list entry, as a "must ..." phrase. */
export function blockedAddressProblem(value: string): string | undefined {
  const range = parseIpv4Range(value);
  if (!range) return "must be an IPv4 address or CIDR range (a.b.c.d or a.b.c.d/nn, without leading zeros)";
  if (range.prefix < MIN_BLOCKED_PREFIX) {
    const count = (prefix: number) => (2 ** (32 - prefix)).toLocaleString("en-US");
    return `must not be wider than a /${MIN_BLOCKED_PREFIX} (${count(MIN_BLOCKED_PREFIX)} addresses): a /${range.prefix} denies ` +
      `${count(range.prefix)} addresses, ${range.prefix === 0 ? "everyone" : "a large part of the internet"}, operators included`;
  }
  const network = networkAddress(range);
  if (network !== range.address) return `must name the range by its network address: did you mean ${formatIpv4(network)}/${range.prefix}?`;
  return undefined;
}
