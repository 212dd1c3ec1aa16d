// Keeps injected secrets out of response bodies: an origin that echoes its request (httpbin,
// debug pages, error dumps) would otherwise hand the API key straight to the browser. Each
// occurrence is overwritten with `*` of the same length (offsets and lengths stay as the origin
// sent them), and matches spanning chunk boundaries are caught by holding back a few bytes.

/** Shorter values (a region code in a var) would mask ordinary text; headers are scrubbed for any length. */
export const MIN_REDACTED_LENGTH = 8;

const MASK = 0x2a; // '*'

const compiled = new WeakMap<object, Uint8Array[]>();

/** The route's redactable secrets as bytes, encoded once per compiled route. */
export function secretNeedles(route: { secrets: readonly string[] }): Uint8Array[] {
  let needles = compiled.get(route);
  if (!needles) compiled.set(route, (needles = redactableSecrets(route.secrets)));
  return needles;
}

export function redactableSecrets(secrets: readonly string[]): Uint8Array[] {
  const encoder = new TextEncoder();
  return [...new Set(secrets)].filter((secret) => secret.length >= MIN_REDACTED_LENGTH).map((secret) => encoder.encode(secret));
}

/** Masks every occurrence of each needle in `bytes`, in place. */
export function maskAll(bytes: Uint8Array, needles: readonly Uint8Array[]): void {
  for (const needle of needles) {
    const first = needle[0]!;
    let at = bytes.indexOf(first);
    while (at !== -1 && at + needle.length <= bytes.length) {
      let i = 1;
      while (i < needle.length && bytes[at + i] === needle[i]) i++;
      if (i === needle.length) {
        bytes.fill(MASK, at, at + needle.length);
        at = bytes.indexOf(first, at + needle.length);
      } else at = bytes.indexOf(first, at + 1);
    }
  }
}

export function redactStream(body: ReadableStream<Uint8Array>, needles: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  const hold = Math.max(...needles.map((needle) => needle.length)) - 1;
  let tail = new Uint8Array(0);
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const joined = new Uint8Array(tail.length + chunk.length);
        joined.set(tail);
        joined.set(chunk, tail.length);
        maskAll(joined, needles);
        const cut = Math.max(0, joined.length - hold);
        if (cut > 0) controller.enqueue(joined.slice(0, cut));
        tail = joined.slice(cut);
      },
      flush(controller) {
        if (tail.length) controller.enqueue(tail);
      },
    }),
  );
}
