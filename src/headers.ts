// Pure header logic for both directions of the proxy.
import type { HeaderOps } from './config/compile.ts';

/** RFC 9110 §7.6.1 plus the de-facto ones. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The header names a `Connection` value lists (they are hop-by-hop too). */
export function connectionNamed(value: string | null): ReadonlySet<string> | null {
  return value ? new Set(value.split(',').map((name) => name.trim().toLowerCase())) : null;
}

/** Removes hop-by-hop headers, and those `Connection` names, in place. */
export function stripHopByHop(headers: Headers): void {
  const named = connectionNamed(headers.get('connection'));
  // Collected first: deleting while iterating skips entries.
  const doomed = [...headers.keys()].filter((name) => HOP_BY_HOP.has(name) || named?.has(name));
  for (const name of doomed) headers.delete(name);
}

/** Whether a request's body is forwarded (GET and HEAD never carry one upstream). */
export function carriesBody(request: Request): request is Request & { body: ReadableStream<Uint8Array> } {
  // The method first: reading `body` makes the runtime build a stream object.
  return request.method !== 'GET' && request.method !== 'HEAD' && request.body !== null;
}

/** Encodings the runtime's fetch decodes itself; anything else would reach rewriting still encoded. */
export const RUNTIME_DECODES: ReadonlySet<string> = new Set(['gzip', 'x-gzip', 'br', 'identity']);

export function filterAcceptEncoding(value: string | null): string | null {
  if (!value) return null;
  const kept = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => RUNTIME_DECODES.has(part.split(';')[0]!.trim().toLowerCase()));
  return kept.length ? kept.join(', ') : null;
}

export function listHas(value: string | null, token: string): boolean {
  if (!value) return false;
  const wanted = token.toLowerCase();
  return value.split(',').some((item) => item.split(';')[0]!.trim().toLowerCase() === wanted);
}

export interface ForwardContext {
  clientIp: string | null;
  /** 'http' | 'https' as the client connected */
  proto: string;
  clientHost: string;
  /** the stripped prefix, or null when nothing was stripped */
  prefix: string | null;
  gatewayId: string;
  /** the request id and the header it goes upstream in (lower-case); a client's own is replaced */
  requestId: { header: string; id: string };
}

/** Client headers the gateway drops or sets afresh itself (besides x-forwarded-* and cf-*). */
const REPLACED_UPSTREAM: ReadonlySet<string> = new Set(['host', 'forwarded', 'x-real-ip', 'accept-encoding', 'via', 'cdn-loop']);

/**
 * Headers for the upstream request: hop-by-hop and client-claimed forwarding headers go,
 * ours are set afresh, and the route's own set/remove rules apply last.
 */
export function upstreamRequestHeaders(incoming: Headers, context: ForwardContext, ops: HeaderOps): Headers {
  // Copied whole by the runtime, then trimmed: building a Headers from JS pairs costs workerd
  // a call per pair, which for a browser's request is more than the rest of the gateway.
  const headers = new Headers(incoming);
  const webSocket = incoming.get('upgrade')?.toLowerCase() === 'websocket';
  const named = connectionNamed(incoming.get('connection'));
  for (const name of incoming.keys()) {
    const hop = HOP_BY_HOP.has(name) || named?.has(name);
    const keptForWebSocket = webSocket && (name === 'upgrade' || name === 'connection');
    const replaced = REPLACED_UPSTREAM.has(name) || name.startsWith('x-forwarded-') || name.startsWith('cf-') || name === context.requestId.header;
    if (hop ? !keptForWebSocket : replaced) headers.delete(name);
  }
  // Every name set below was deleted above, so appending is setting.
  const encoding = filterAcceptEncoding(incoming.get('accept-encoding'));
  if (encoding) headers.append('accept-encoding', encoding);

  if (context.clientIp) headers.append('x-forwarded-for', context.clientIp);
  headers.append('x-forwarded-proto', context.proto);
  headers.append('x-forwarded-host', context.clientHost);
  if (context.prefix) headers.append('x-forwarded-prefix', context.prefix);
  const via = incoming.get('via');
  headers.append('via', via ? `${via}, 1.1 ${context.gatewayId}` : `1.1 ${context.gatewayId}`);
  // Other CDNs' entries stay (RFC 8586); Cloudflare adds and checks its own.
  const loops = (incoming.get('cdn-loop') ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item && !/^cloudflare\b/i.test(item));
  loops.push(context.gatewayId);
  headers.append('cdn-loop', loops.join(', '));
  headers.append(context.requestId.header, context.requestId.id);

  if (ops.remove.length || ops.set.length) applyHeaderOps(headers, ops);
  return headers;
}

/** True when this gateway's id is already in CDN-Loop: the request has come round. */
export function isLoop(incoming: Headers, gatewayId: string): boolean {
  return listHas(incoming.get('cdn-loop'), gatewayId);
}

export function applyHeaderOps(headers: Headers, ops: HeaderOps): void {
  for (const name of ops.remove) headers.delete(name);
  for (const [name, value] of ops.set) headers.set(name, value);
}
