// Link rewriting by a streaming HTML tokenizer of our own (html-tokenizer.c, run as
// WebAssembly), producing byte for byte what the HTMLRewriter version (html.ts, the
// reference) produces, at a fraction of the cost: HTMLRewriter calls a JS handler per
// matched element and flushes a chunk per element, which on a page of links takes several
// times the free plan's 10 ms of CPU. The tokenizer works on the bytes and maps
// plain URL values itself; this module holds each response's state between chunks and
// answers what the tokenizer leaves to JS (srcset, CSS, meta refresh, <base>, unusual URLs)
// with links.ts, so every rewriter maps URLs the same way. test/rewrite-differential.test.ts
// holds it to HTMLRewriter's output.
//
// UTF-8 only (what substitutions emit and nearly every page is); other charsets go to the
// reference rewriter.
import { transformBytes, type ByteStep } from './chunks.ts';
import { knownOrigins } from './fast-url.ts';
import tokenizerModule from './html-tokenizer.wasm';
import { rewriteHtml as rewriteWithHTMLRewriter } from './html.ts';
import { baseFrom, mapCss, mapSrcset, mapUrl, type LinkTable } from './links.ts';
import { mapMetaContent } from './meta.ts';

/** Drop-in for html.ts's rewriteHtml. */
export function rewriteHtml(body: ReadableStream, contentType: string, documentUrl: URL, table: LinkTable): ReadableStream {
  const step = linkStep(contentType, documentUrl, table);
  return step ? transformBytes(body, step) : rewriteWithHTMLRewriter(body, contentType, documentUrl, table);
}

/** The rewriting as a body step, or null when the page is not UTF-8 (html.ts rewrites those). */
export function linkStep(contentType: string, documentUrl: URL, table: LinkTable): ByteStep | null {
  if (!isUtf8(contentType)) return null;
  const rewriter = new LinkRewriter(documentUrl, table);
  return (chunk) => rewriter.write(chunk);
}

function isUtf8(contentType: string): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  return charset === undefined || charset === 'utf-8' || charset === 'utf8' || charset === 'unicode-1-1-utf-8';
}

interface Tokenizer {
  memory: WebAssembly.Memory;
  table_buffer(length: number): number;
  load_table(count: number): void;
  state_pointer(): number;
  state_used(): number;
  reset_state(baseOrigin: number): void;
  set_base_origin(index: number): void;
  input_buffer(length: number): number;
  scratch_buffer(capacity: number): number;
  scan_more(length: number): number;
  write(length: number, final: number): number;
  output_pointer(): number;
  output_length(): number;
  waiting(): number;
  resume_overlap(): number;
  map_url(length: number, baseOrigin: number): number;
}

// What the tokenizer asks JS (html-tokenizer.c, CB_*).
const URL_VALUE = 0;
const BASE_HREF = 1;
const SRCSET = 2;
/** `<meta http-equiv content>`: the content, and http-equiv as the second value */
const META = 3;
const CSS = 4;

// Not ignoreBOM, though workerd decodes faster so: HTMLRewriter's getAttribute drops a value's
// leading U+FEFF, and the values here are short.
const decoder = new TextDecoder();
const encoder = new TextEncoder();

// One instance per isolate. It holds no response's state between calls: each call copies
// its response's state in and out, and `answering` is only set during a call.
let instance: Tokenizer | undefined;
let answering: LinkRewriter | null = null;
let loadedTable: LinkTable | undefined;
/** Memory an instance may keep between calls: room for ordinary pages; only a huge tag or stylesheet needs more. */
const MEMORY_KEPT = 8 << 20;

function tokenizer(table: LinkTable): Tokenizer {
  instance ??= new WebAssembly.Instance(tokenizerModule, { env: { callback } }).exports as unknown as Tokenizer;
  if (loadedTable !== table) loadTable(instance, table);
  return instance;
}

/** The configured origins, for the tokenizer to map plain URLs with (see html-tokenizer.c load_table). */
function loadTable(x: Tokenizer, table: LinkTable): void {
  const fields = knownOrigins(table).flatMap((known) => [known.origin, known.only ? 1 : 0, known.only?.prefix ?? '', known.only?.base ?? '', known.outside ? 1 : 0]);
  const parts = fields.map((field) => (typeof field === 'number' ? field : encoder.encode(field)));
  const length = parts.reduce((sum: number, part) => sum + 4 + (typeof part === 'number' ? 0 : part.length), 0);
  const at = x.table_buffer(length);
  const view = new DataView(x.memory.buffer, at, length);
  const bytes = new Uint8Array(x.memory.buffer, at, length);
  let offset = 0;
  for (const part of parts) {
    view.setUint32(offset, typeof part === 'number' ? part : part.length, true);
    offset += 4;
    if (typeof part !== 'number') bytes.set(part, offset), (offset += part.length);
  }
  x.load_table(knownOrigins(table).length);
  loadedTable = table;
}

function originIndex(table: LinkTable, url: URL): number {
  const origin = url.origin;
  return knownOrigins(table).findIndex((known) => known.origin === origin);
}

/** The tokenizer's own mapping of a URL value: undefined when it would leave it to JS. For tests. */
export function mapUrlInTokenizer(value: string, base: URL, table: LinkTable): string | null | undefined {
  const x = tokenizer(table);
  const bytes = encoder.encode(value);
  const at = x.input_buffer(bytes.length);
  new Uint8Array(x.memory.buffer, at, bytes.length).set(bytes);
  const length = x.map_url(bytes.length, originIndex(table, base));
  if (length < 0) return length === -1 ? null : undefined;
  return decoder.decode(new Uint8Array(x.memory.buffer, x.scratch_buffer(0), length));
}

/** Bytes of WebAssembly memory the isolate keeps for the tokenizer between calls. For tests. */
export function tokenizerMemory(): number {
  return instance?.memory.buffer.byteLength ?? 0;
}

function callback(kind: number, at: number, length: number, at2: number, length2: number): number {
  const memory = new Uint8Array(instance!.memory.buffer);
  const value = decoder.decode(memory.subarray(at, at + length));
  const answer = answering!.answer(kind, value, kind === META ? decoder.decode(memory.subarray(at2, at2 + length2)) : '');
  if (answer === null) return -1;
  // Encoded first, so the tokenizer's scratch memory is the answer's size (a stylesheet's
  // can be megabytes), not the 3 bytes per UTF-16 unit encodeInto would need room for.
  const bytes = encoder.encode(answer);
  const scratch = instance!.scratch_buffer(bytes.length);
  new Uint8Array(instance!.memory.buffer, scratch, bytes.length).set(bytes);
  return bytes.length;
}

/** Fills `into` with the last bytes of `parts`. */
function copyTail(parts: Uint8Array[], into: Uint8Array): void {
  let end = into.length;
  for (let k = parts.length - 1; k >= 0 && end > 0; k--) {
    const part = parts[k]!;
    const take = Math.min(part.length, end);
    into.set(part.subarray(part.length - take), end - take);
    end -= take;
  }
}

/** One response's rewriting: the tokenizer's state and the input it has not consumed yet. */
class LinkRewriter {
  private readonly documentUrl: URL;
  private readonly table: LinkTable;
  private base: URL;
  private baseSeen = false;
  private state: Uint8Array | undefined;
  /** input the tokenizer has not consumed (an unfinished tag, end tag, <style> text, ...) */
  private pending: Uint8Array[] = [];
  private pendingLength = 0;
  /** the kept input ends inside a tag or CSS text: new input is searched for its end first */
  private waiting = false;
  /** bytes from the end of the kept input that the search needs again (html-tokenizer.c resume_overlap) */
  private overlap = 0;

  constructor(documentUrl: URL, table: LinkTable) {
    this.documentUrl = documentUrl;
    this.table = table;
    this.base = documentUrl;
  }

  /** What is ready to send after `chunk` (all of it when there is no chunk: the end). */
  write(chunk: Uint8Array | undefined): Uint8Array | null {
    const x = tokenizer(this.table);
    const final = chunk === undefined;
    if (!this.state) {
      x.reset_state(this.originIndex(this.base));
      this.state = new Uint8Array(x.memory.buffer, x.state_pointer(), x.state_used()).slice();
    }
    if (this.waiting && chunk) {
      // Inside a tag or <style> text longer than the input so far (a data: URL, a stylesheet
      // of megabytes): search only the new bytes for its end, and keep them aside until then.
      const length = this.overlap + chunk.length;
      const at = x.input_buffer(length); // may grow the memory, detaching the old buffer
      const input = new Uint8Array(x.memory.buffer, at, length);
      copyTail(this.pending, input.subarray(0, this.overlap));
      input.set(chunk, this.overlap);
      if (!this.call(x, () => x.scan_more(length))) {
        this.overlap = x.resume_overlap();
        this.keep(chunk.slice());
        return null;
      }
    }
    const length = this.pendingLength + (chunk?.length ?? 0);
    // Calls that may grow the memory come before reading memory.buffer (growing detaches it).
    const inputAt = x.input_buffer(length);
    const input = new Uint8Array(x.memory.buffer, inputAt, length);
    let offset = 0;
    for (const part of this.pending) input.set(part, offset), (offset += part.length);
    if (chunk) input.set(chunk, offset);
    const consumed = this.call(x, () => x.write(length, final ? 1 : 0));
    this.waiting = x.waiting() === 1;
    this.overlap = x.resume_overlap();
    const memory = new Uint8Array(x.memory.buffer);
    this.pending = [];
    this.pendingLength = 0;
    if (consumed < length) this.keep(memory.slice(inputAt + consumed, inputAt + length));
    const out = x.output_pointer();
    const output = memory.slice(out, out + x.output_length());
    // WebAssembly memory only grows: after a huge tag or stylesheet, let this instance (and
    // its memory) go, so the isolate does not keep it; the next call starts a fresh one.
    if (memory.length > MEMORY_KEPT) instance = loadedTable = undefined;
    return output;
  }

  /** Runs `step` with this response's state in the tokenizer, and takes the state back. */
  private call(x: Tokenizer, step: () => number): number {
    new Uint8Array(x.memory.buffer, x.state_pointer(), this.state!.length).set(this.state!);
    answering = this;
    try {
      return step();
    } finally {
      answering = null;
      this.state = new Uint8Array(x.memory.buffer, x.state_pointer(), x.state_used()).slice();
    }
  }

  private keep(bytes: Uint8Array): void {
    this.pending.push(bytes);
    this.pendingLength += bytes.length;
  }

  private originIndex(url: URL): number {
    return originIndex(this.table, url);
  }

  /** The tokenizer's questions, answered as html.ts's handlers would: the new value, or null. */
  answer(kind: number, value: string, second: string): string | null {
    const { table } = this;
    switch (kind) {
      case URL_VALUE:
        return mapUrl(value, this.base, table);
      case BASE_HREF:
        // Only the first <base href> counts, and it is itself relative to the document.
        if (!this.baseSeen) {
          this.baseSeen = true;
          this.base = baseFrom(value, this.documentUrl);
          instance!.set_base_origin(this.originIndex(this.base));
        }
        return mapUrl(value, this.documentUrl, table);
      case SRCSET:
        return mapSrcset(value, this.base, table);
      case META:
        return mapMetaContent(second, value, this.base, table);
      case CSS: {
        const mapped = mapCss(value, this.base, table);
        return mapped === value ? null : mapped;
      }
      default:
        return null;
    }
  }
}
