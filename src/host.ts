// The client's Host header, checked before anything is routed on it. Bare workerd builds
// `request.url` as `"http://" + Host + target` without looking at the Host, so a Host that is
// no host would otherwise choose the path, break every later URL parse and reach origins in
// X-Forwarded-Host.

const DEC_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `(?:${DEC_OCTET}\\.){3}${DEC_OCTET}`;
/**
 * Nearly every Host: dot-separated labels whose last starts with no digit (so the URL parser
 * never reads it as an IPv4 number), or a dotted-quad IPv4 address, then an optional port up
 * to 65535. Nothing here needs another look; the rest go to hostProblem.
 */
const PLAIN_HOST = new RegExp(
  `^(?:(?!.*xn--)(?:[a-z0-9_~-]+\\.)*[a-z_~-][a-z0-9_~-]*\\.?|${IPV4})(?::(?:\\d{1,4}|[1-5]\\d{4}|6[0-4]\\d{3}|65[0-4]\\d\\d|655[0-2]\\d|6553[0-5]))?$`,
  'i',
);
const STRICT_IPV4 = new RegExp(`^${IPV4}$`);
/** RFC 3986 reg-name characters: unreserved, sub-delims and `%` of pct-encoded; `,` is left out (see hostProblem). */
const REG_NAME_CHAR = /[^A-Za-z0-9\-._~!$&'()*+;=%]/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/**
 * Why `host` (a Host header, or the authority of the request URL) is no RFC 3986
 * `host [ ":" port ]` (RFC 9110 §7.2), or null when it is one. Also refused: a `,` (two Host
 * headers reach the Worker joined as `a, b`), and the few hosts RFC 3986 allows but the URL
 * standard (the runtime's parser) does not (`999.1.1.1`, a bad `xn--` label), so every later
 * parse of the request URL succeeds.
 */
export function checkHost(host: string): string | null {
  return PLAIN_HOST.test(host) ? null : hostProblem(host);
}

function hostProblem(host: string): string | null {
  const problem = (text: string) => `invalid Host header: ${text}`;
  if (host === '') return problem('it is empty');
  if (host.includes(',')) return problem('it names more than one host (repeated Host headers arrive joined by commas)');

  let name = host;
  let port: string | null = null;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close === -1) return problem('its IP literal has no closing "]"');
    name = host.slice(0, close + 1);
    const rest = host.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return problem('characters follow its IP literal');
    if (rest !== '') port = rest.slice(1);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon !== -1) {
      name = host.slice(0, colon);
      port = host.slice(colon + 1);
    }
  }
  if (port !== null && !(/^\d{1,5}$/.test(port) && Number(port) <= 65535)) return problem('its port is not a number from 0 to 65535');

  if (name.startsWith('[')) {
    if (!isIPv6(name.slice(1, -1))) return problem('its IP literal is not an IPv6 address');
  } else {
    if (name === '') return problem('it has a port but no host name');
    const bad = REG_NAME_CHAR.exec(name)?.[0];
    if (bad !== undefined) return problem(`it holds ${describe(bad)}, which no host name holds`);
    if (/%(?![0-9A-Fa-f]{2})/.test(name)) return problem('it holds a malformed percent-escape');
    // The URL standard reads a name whose last label is a number as an IPv4 address.
    const labels = name.replace(/\.$/, '').split('.');
    if (/^(?:\d+|0x[0-9a-f]*)$/i.test(labels[labels.length - 1]!) && !STRICT_IPV4.test(name)) {
      return problem('it ends in a number but is not an IPv4 address');
    }
  }
  // What the checks above let through must parse, as it will in the request URL.
  try {
    new URL(`http://${host}/`);
  } catch {
    if (/xn--/i.test(name)) return problem('it holds a malformed internationalized (xn--) label');
    return problem(name.includes('%') ? 'a percent-escape in it decodes to a character no host name holds' : 'URLs cannot hold its name');
  }
  return null;
}

/** RFC 3986 IPv6address (no zone identifier, which the URL standard does not accept). */
export function isIPv6(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 1 || halves[1] === '' ? [] : halves[1]!.split(':');
  const parts = [...head, ...tail];
  // An IPv4 address may end the address (ls32), never start it.
  const lastMayBeIPv4 = halves.length === 1 || tail.length > 0;
  let groups = 0;
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && lastMayBeIPv4 && part.includes('.')) {
      if (!STRICT_IPV4.test(part)) return false;
      groups += 2;
    } else if (HEX_GROUP.test(part)) {
      groups += 1;
    } else {
      return false;
    }
  }
  return halves.length === 2 ? groups <= 7 : groups === 8;
}

function describe(char: string): string {
  const code = char.charCodeAt(0);
  if (char === ' ') return 'a space';
  if (code < 0x20 || code === 0x7f) return 'a control character';
  if (code > 0x7f) return 'a character outside ASCII (international names are sent as punycode, xn--)';
  if (char === ':') return '":" (an IPv6 address goes in brackets)';
  return `"${char}"`;
}
