// Per-route access control: client IP allow/deny lists (IPv4 and IPv6 CIDR), allowed
// methods, a gateway credential compared in constant time, and a request body size limit.
import type { AccessConfig } from './config/schema.ts';
import type { GatewayError } from './errors.ts';

export interface IpRange {
  version: 4 | 6;
  network: bigint;
  bits: number;
}

export interface AccessPolicy {
  allow: IpRange[] | null;
  deny: IpRange[];
  /** upper-case */
  methods: string[] | null;
  auth: { type: 'bearer' | 'basic'; credential: string } | null;
  maxBodyBytes: number | null;
}

/** Compiles a route's `access` (credential already resolved from its binding); problems get `at`-prefixed messages. */
export function compileAccess(config: AccessConfig | undefined, at: string, problems: string[]): AccessPolicy | null {
  if (!config) return null;
  const ranges = (list: string[] | undefined, field: string): IpRange[] =>
    (list ?? []).flatMap((text, i) => {
      const range = parseCidr(text);
      // Never the value itself: ROUTES may be a secret.
      if (!range) problems.push(`${at}.${field}[${i}]: is not an IPv4 or IPv6 address or CIDR range`);
      return range ? [range] : [];
    });
  return {
    allow: config.allowIps ? ranges(config.allowIps, 'allowIps') : null,
    deny: ranges(config.denyIps, 'denyIps'),
    methods: config.methods ? config.methods.map((m) => m.toUpperCase()) : null,
    auth: config.auth ? { type: config.auth.type, credential: config.auth.credential } : null,
    maxBodyBytes: config.maxBodyBytes ?? null,
  };
}

/** Parses an IPv4 or IPv6 address; IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as IPv4. */
export function parseIp(text: string): { version: 4 | 6; value: bigint } | null {
  const address = text.trim().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (address.includes(':')) {
    const value = parseIpv6(address);
    if (value === null) return null;
    if (value >> 32n === 0xffffn) return { version: 4, value: value & 0xffffffffn };
    return { version: 6, value };
  }
  const value = parseIpv4(address);
  return value === null ? null : { version: 4, value };
}

function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  let head = text;
  let tailV4: bigint | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 === null) return null;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  let value = 0n;
  for (const group of [...left, ...Array<string>(missing).fill('0'), ...right]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    value = (value << 16n) | BigInt(`0x${group}`);
  }
  if (tailV4 !== null) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/** `a.b.c.d/n`, `x::y/n`, or a bare address (a range of one). Host bits are masked off, as nginx does. */
export function parseCidr(text: string): IpRange | null {
  const [address = '', bitsText, extra] = text.trim().split('/');
  if (extra !== undefined) return null;
  const ip = parseIp(address);
  if (!ip) return null;
  const mapped = ip.version === 4 && address.includes(':');
  const width = ip.version === 4 ? 32 : 128;
  let bits = width;
  if (bitsText !== undefined) {
    if (!/^\d{1,3}$/.test(bitsText)) return null;
    bits = Number(bitsText) - (mapped ? 96 : 0);
    if (bits < 0 || bits > width) return null;
  }
  return { version: ip.version, network: ip.value & mask(width, bits), bits };
}

function mask(width: number, bits: number): bigint {
  const all = (1n << BigInt(width)) - 1n;
  return all ^ ((1n << BigInt(width - bits)) - 1n);
}

export function ipInRanges(ip: string | null, ranges: readonly IpRange[]): boolean {
  const parsed = ip ? parseIp(ip) : null;
  if (!parsed) return false;
  return ranges.some(
    (range) => range.version === parsed.version && (parsed.value & mask(range.version === 4 ? 32 : 128, range.bits)) === range.network,
  );
}

/** The IP rules: deny wins over allow; with an allow list, only listed clients pass. */
export function checkIp(policy: AccessPolicy, ip: string | null): string | null {
  if (ipInRanges(ip, policy.deny)) return `client address ${ip} is denied on this route`;
  if (policy.allow && !ipInRanges(ip, policy.allow)) return `client address ${ip ?? '(unknown)'} is not in this route's allow list`;
  return null;
}

const credentialDigests = new WeakMap<object, ReturnType<typeof sha256>>();

/**
 * Compares the request's Authorization with the route's credential without leaking, through
 * timing, how much of it matched or how long it is: both sides are hashed, then compared fully.
 */
export async function checkCredential(auth: NonNullable<AccessPolicy['auth']>, authorization: string | null): Promise<boolean> {
  const presented = presentedCredential(auth.type, authorization);
  let expected = credentialDigests.get(auth);
  if (!expected) credentialDigests.set(auth, (expected = sha256(auth.credential)));
  const [a, b] = await Promise.all([sha256(presented ?? ''), expected]);
  return constantTimeEqual(a, b) && presented !== null;
}

function presentedCredential(type: 'bearer' | 'basic', authorization: string | null): string | null {
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(authorization ?? '');
  if (!match || match[1]!.toLowerCase() !== type) return null;
  if (type === 'bearer') return match[2]!;
  try {
    const binary = atob(match[2]!);
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

export function authChallenge(type: 'bearer' | 'basic', route: string): string {
  const realm = `switchyard ${route}`.replace(/["\\]/g, '');
  return type === 'bearer' ? `Bearer realm="${realm}"` : `Basic realm="${realm}", charset="UTF-8"`;
}

/** Content-Length over the limit: refused before anything is read or forwarded. */
export function checkContentLength(limit: number, contentLength: string | null): boolean {
  if (contentLength === null) return true;
  const length = Number(contentLength);
  return !(Number.isFinite(length) && length > limit);
}

/**
 * Passes a body through, erroring the stream once more than `limit` bytes have gone by, so an
 * upload without Content-Length is cut off as it streams instead of being buffered and counted.
 * `onBroken` runs when the client's body itself errors (cut off, malformed chunked encoding),
 * before the stream errors; a consumer that cancels (the upstream went away) is no such error.
 */
export function limitBody(
  body: ReadableStream<Uint8Array>,
  limit: number,
  onExceeded: () => void,
  onBroken: () => void = () => {},
): ReadableStream<Uint8Array> {
  // Read by hand rather than piped through a TransformStream, where a source error and a
  // consumer's cancel reach the transformer alike.
  const reader = body.getReader();
  let seen = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          onBroken();
          controller.error(error);
          return;
        }
        if (chunk.done) return controller.close();
        seen += chunk.value.byteLength;
        if (seen > limit) {
          onExceeded();
          controller.error(new Error(`request body exceeds ${limit} bytes`));
          reader.cancel().catch(() => {});
          return;
        }
        controller.enqueue(chunk.value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

export function tooLarge(limit: number, route: string): GatewayError {
  return { status: 413, reason: `request body exceeds this route's limit of ${limit} bytes`, route };
}
