/**
 * Addresses and networks as config text: one regular expression each, used by the zod schema
 * and written into the JSON Schema as its `pattern`, so an editor and `config validate` refuse the
 * same text. IPv4 is dotted decimal without leading zeros (`010.1.1.1` could be octal), IPv6 any
 * RFC 4291 text form without a zone, host names RFC 1123 labels whose last label is not all
 * digits (`999.1.1.1` is neither an address nor a name).
 */
const octet = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
export const IPV4 = `(?:${octet}\\.){3}${octet}`;

function ipv6(): string {
  const h = '[0-9A-Fa-f]{1,4}';
  const alts = [`(?:${h}:){7}${h}`, `(?:${h}:){6}${IPV4}`];
  // `::` standing for one or more groups: k groups on its left, up to 7 - k on its right (5 - k
  // before an IPv4 tail, which counts for two).
  for (let k = 0; k <= 7; k++) {
    const left = k === 0 ? '' : `(?:${h}:){${k - 1}}${h}`;
    const right = k >= 7 ? '' : `(?:(?:${h}:){0,${6 - k}}${h})?`;
    alts.push(`${left}::${right}`);
    if (k <= 5) alts.push(`${left}::(?:${h}:){0,${5 - k}}${IPV4}`);
  }
  return `(?:${alts.join('|')})`;
}
export const IPV6 = ipv6();

const label = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** RFC 1123 host name, at most 253 characters, the last label not all digits. */
export const HOST_NAME = `(?=.{1,253}$)(?:${label}\\.)*(?=[A-Za-z0-9-]*[A-Za-z])${label}`;
/**
 * A host name to listen on: labels start with a letter (RFC 952), as this machine's own names
 * do; `0s` is a duration that slipped into the wrong key, not a name.
 */
const letterLabel = '[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
export const BIND_NAME = `(?=.{1,253}$)(?:${letterLabel}\\.)*${letterLabel}`;

/** An IP address or a host name (a target's `address`). */
export const ADDRESS_PATTERN = `^(?:${IPV4}|${IPV6}|${HOST_NAME})$`;
/** An IP address or a name of this machine (`web.host`). */
export const BIND_PATTERN = `^(?:${IPV4}|${IPV6}|${BIND_NAME})$`;
/** An address or a network with its prefix length. */
export const CIDR_PATTERN = `^(?:${IPV4}(?:/(?:3[0-2]|[12]?\\d))?|${IPV6}(?:/(?:12[0-8]|1[01]\\d|[1-9]?\\d))?)$`;
