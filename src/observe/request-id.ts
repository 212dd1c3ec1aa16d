// The request id: one per request, sent upstream, returned on every answer, in error bodies
// and in the log line, so a user's report, the gateway's log and the origin's log meet.
import type { Observe } from './settings.ts';

/** Longest client id kept (trustIncoming): UUIDs, ULIDs, W3C trace ids and Cloudflare rays all fit. */
export const MAX_ID_LENGTH = 128;

/** 1 to MAX_ID_LENGTH bytes of visible ASCII: anything else could break a header, a log or a page. */
export function validId(value: string | null): value is string {
  if (!value || value.length > MAX_ID_LENGTH) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) return false;
  }
  return true;
}

export interface RequestId {
  id: string;
  /** the client's own id, kept because the config trusts it */
  fromClient: boolean;
}

/**
 * A client's id when trusted and well-formed (a bad one is replaced, never echoed); on
 * Cloudflare the ray id, which the edge's own logs and the client's CF-Ray header carry too;
 * elsewhere a random UUID.
 */
export function requestId(request: Request, settings: Observe['requestId'], onCloudflare: boolean): RequestId {
  if (settings.trustIncoming) {
    const incoming = request.headers.get(settings.header);
    if (validId(incoming)) return { id: incoming, fromClient: true };
  }
  if (onCloudflare) {
    // Set by the edge on every request; a client cannot choose it there.
    const ray = request.headers.get('cf-ray');
    if (validId(ray)) return { id: ray, fromClient: false };
  }
  return { id: crypto.randomUUID(), fromClient: false };
}
