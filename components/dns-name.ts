/**
 * Host names as DNS allows them (RFC 1035 and RFC 1123): labels of letters, digits and
 * hyphens, 1-63 characters each, not starting or ending with a hyphen; at most 253 characters
 * in all. nginx refuses a `server_name` far longer than that, and "." or ".." are no names.
 */

export const MAX_DNS_NAME_LENGTH = 253;
export const MAX_DNS_LABEL_LENGTH = 63;

/**
 * openssl refuses a certificate subject's CN longer than 64 characters (ub-common-name in
 * RFC 5280); the self-signed certificate puts the server name there.
 */
export const MAX_COMMON_NAME_LENGTH = 64;

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** Why `name` is not a DNS host name, as a "must ..." phrase; undefined when it is one. */
export function dnsNameProblem(name: string): string | undefined {
  const rule = `must be a DNS host name (labels of a-z, 0-9 and -, 1-${MAX_DNS_LABEL_LENGTH} characters each, separated by dots, at most ${MAX_DNS_NAME_LENGTH} characters in all)`;
  if (name.length === 0 || name.length > MAX_DNS_NAME_LENGTH) return rule;
  const labels = name.split(".");
  const bad = labels.find((label) => label.length > MAX_DNS_LABEL_LENGTH || !LABEL.test(label));
  if (bad === undefined) return undefined;
  if (bad === "") return `${rule}; it has an empty label (a leading, trailing or doubled dot)`;
  if (bad.length > MAX_DNS_LABEL_LENGTH) return `${rule}; it has a label of ${bad.length} characters`;
  return rule;
}
