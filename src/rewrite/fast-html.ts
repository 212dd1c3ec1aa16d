// Link rewriting by a streaming HTML tokenizer of our own, producing byte for byte what the
// HTMLRewriter version (html.ts, the reference) produces, at a fraction of the cost.
//
// Why: HTMLRewriter calls a JS handler per matched element and flushes a chunk per
// element: a ~110 KB page with 2,000 links took 63 ms of CPU in workerd (70-90 ms under
// load), over the free plan's 10 ms limit; this takes ~3 ms (7-10 ms under load), 8-12x
// the requests per second (npm run bench). One regex (native code) skips everything that
// cannot need a change: text, and tags that are neither URL-bearing, nor carry `style`, nor
// switch the tokenizer's state (script, style, comments, SVG/MathML, ...). Only the
// remaining tags are parsed, by the HTML tokenizer's rules, and only changed tags are
// re-serialized, the way lol-html does it: `<` raw name, each attribute as written or, if
// changed, ` name="value"` with `"` as `&quot;`, then `>` (` />` when self-closing).
// Attribute values are raw (no entity decoding), as HTMLRewriter's getAttribute returns
// them. Where lol-html departs from the HTML spec (how it leaves SVG/MathML), this follows
// lol-html. test/rewrite-differential.test.ts holds the two to identical output.
//
// UTF-8 only (what substitutions emit and nearly every page is); other charsets go to the
// reference rewriter. Invalid UTF-8 is repaired to U+FFFD where HTMLRewriter would keep
// the bytes.
import { transformText } from './chunks.ts';
import { urlMapper } from './fast-url.ts';
import { rewriteHtml as rewriteWithHTMLRewriter } from './html.ts';
import { baseFrom, mapCss, mapRefresh, mapSrcset, SRCSET_ATTRIBUTES, URL_ATTRIBUTES, type LinkTable } from './links.ts';

/** Drop-in for html.ts's rewriteHtml. */
export function rewriteHtml(body: ReadableStream, contentType: string, documentUrl: URL, table: LinkTable): ReadableStream {
  if (!isUtf8(contentType)) return rewriteWithHTMLRewriter(body, contentType, documentUrl, table);
  const tokenizer = new LinkRewriter(documentUrl, table);
  // ignoreBOM: keep a byte order mark in the text, so it is written back like every other byte.
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  return transformText(
    body,
    (chunk) => (chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode()),
    (text, final) => tokenizer.write(text, final),
  );
}

function isUtf8(contentType: string): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  return charset === undefined || charset === 'utf-8' || charset === 'utf8' || charset === 'unicode-1-1-utf-8';
}

// ---- what the reference rewrites, by element -------------------------------------------

interface ElementRules {
  url: string[];
  srcset: string[];
}

const RULES = new Map<string, ElementRules>();
const rulesOf = (element: string) => {
  let rules = RULES.get(element);
  if (!rules) RULES.set(element, (rules = { url: [], srcset: [] }));
  return rules;
};
for (const { attribute, elements } of URL_ATTRIBUTES) for (const element of elements) rulesOf(element).url.push(attribute);
for (const { attribute, elements } of SRCSET_ATTRIBUTES) for (const element of elements) rulesOf(element).srcset.push(attribute);

/** Subresource integrity is over bytes this gateway may rewrite: a rewritten URL drops it. */
const INTEGRITY_ELEMENTS = new Set(['script', 'link']);

// ---- tokenizer states ------------------------------------------------------------------

const DATA = 0;
const RAWTEXT = 1; // also RCDATA: only the end tag matters here
const SCRIPT = 2;
const PLAINTEXT = 3;
const COMMENT = 4;
const BOGUS_COMMENT = 5;
const CDATA = 6;

const RAWTEXT_ELEMENTS = ['style', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript', 'title', 'textarea'];
const END_TAG = new Map(RAWTEXT_ELEMENTS.concat('script').map((name) => [name, new RegExp(`</${name}[\\t\\n\\f\\r />]`, 'gi')]));

const HTML = 0;
const SVG = 1;
const MATHML = 2;
/** Start tags that end foreign content (HTML § 13.2.6.5); `font` only with color, face or size. */
const BREAKOUT = new Set(
  'b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul var'.split(
    ' ',
  ),
);
const SVG_HTML_POINTS = new Set(['foreignobject', 'desc', 'title']);
const MATHML_TEXT_POINTS = new Set(['mi', 'mo', 'mn', 'ms', 'mtext']);
// lol-html ends an integration point at the end tag of any integration point of its kind.
const MATHML_POINTS = new Set([...MATHML_TEXT_POINTS, 'annotation-xml']);

interface Frame {
  ns: number;
  /** lower-case name of the element that opened this namespace context */
  tag: string;
  /** for an HTML context inside SVG/MathML: the end tags that close it */
  closedBy?: ReadonlySet<string>;
}

// Everything the fast path may skip without looking: text, and complete start and end tags
// in plain syntax that are not interesting. It stops at anything else, which the exact
// tokenizer below then handles; so it can only be slower, never different.
const WS = '\\t\\n\\f\\r ';
const STOP_NAMES = [...new Set([...RULES.keys(), 'base', 'meta', 'script', 'plaintext', 'svg', 'math', ...RAWTEXT_ELEMENTS])].join('|');
const SKIP = new RegExp(
  `(?:[^<]+|<(?=[^a-z!/?])|<(?!(?:${STOP_NAMES})[${WS}/>])[a-z][^${WS}/>]*` +
    `(?:[${WS}]+(?!style[${WS}/=>])[^${WS}/>="'<]+(?:[${WS}]*=[${WS}]*(?:"[^"]*"|'[^']*'|[^${WS}>"'=<\`]+))?)*[${WS}]*/?>` +
    `|</(?!svg|math)[a-z][^${WS}/>]*[${WS}]*>){1,512}`,
  'iy',
);
const COMMENT_END = /--!?>/g;

/** A cut at `i` that does not split a surrogate pair (the encoder would write two U+FFFD). */
const safeCut = (s: string, i: number) => {
  const c = s.charCodeAt(i - 1);
  return c >= 0xd800 && c <= 0xdbff ? i - 1 : i;
};

const isWhitespace = (c: number) => c === 32 || c === 10 || c === 9 || c === 12 || c === 13;
const isAlpha = (c: number) => (c | 32) >= 97 && (c | 32) <= 122;

interface Attribute {
  /** as written */
  name: string;
  lower: string;
  /** raw value (no entity decoding), '' when absent */
  value: string;
  /** the attribute as written, name to end of value */
  raw: string;
  /** new value; undefined: unchanged */
  set?: string;
  removed?: boolean;
}

interface Tag {
  name: string;
  attributes: Attribute[];
  selfClosing: boolean;
  /** index just past `>` */
  end: number;
}

/**
 * Parses the tag at `start` (`<name` or `</name`) by the tokenizer's rules; null when the
 * text ends before the tag does.
 */
function parseTag(s: string, start: number, endTag: boolean): Tag | null {
  const n = s.length;
  let i = start + (endTag ? 2 : 1);
  const nameStart = i;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isWhitespace(c) || c === 47 || c === 62) break;
    i++;
  }
  const name = s.slice(nameStart, i);
  const attributes: Attribute[] = [];
  for (;;) {
    // before attribute name
    while (i < n && isWhitespace(s.charCodeAt(i))) i++;
    if (i >= n) return null;
    let c = s.charCodeAt(i);
    if (c === 62 /* > */) return { name, attributes, selfClosing: false, end: i + 1 };
    if (c === 47 /* / */) {
      if (++i >= n) return null;
      if (s.charCodeAt(i) === 62) return { name, attributes, selfClosing: true, end: i + 1 };
      continue;
    }
    // attribute name: a leading '=' belongs to it
    const attributeStart = i++;
    while (i < n) {
      c = s.charCodeAt(i);
      if (isWhitespace(c) || c === 47 || c === 62 || c === 61) break;
      i++;
    }
    const nameEnd = i;
    while (i < n && isWhitespace(s.charCodeAt(i))) i++;
    if (i >= n) return null;
    const attributeName = s.slice(attributeStart, nameEnd);
    if (s.charCodeAt(i) !== 61 /* = */) {
      attributes.push({ name: attributeName, lower: attributeName.toLowerCase(), value: '', raw: attributeName });
      continue;
    }
    i++;
    while (i < n && isWhitespace(s.charCodeAt(i))) i++;
    if (i >= n) return null;
    c = s.charCodeAt(i);
    let value: string;
    if (c === 34 || c === 39) {
      const close = s.indexOf(c === 34 ? '"' : "'", i + 1);
      if (close === -1) return null;
      value = s.slice(i + 1, close);
      i = close + 1;
    } else if (c === 62) {
      // `name=>`: no value, and lol-html writes it back as the bare name.
      attributes.push({ name: attributeName, lower: attributeName.toLowerCase(), value: '', raw: attributeName });
      continue;
    } else {
      const valueStart = i;
      while (i < n) {
        c = s.charCodeAt(i);
        if (isWhitespace(c) || c === 62) break;
        i++;
      }
      if (i >= n) return null;
      value = s.slice(valueStart, i);
    }
    attributes.push({ name: attributeName, lower: attributeName.toLowerCase(), value, raw: s.slice(attributeStart, i) });
  }
}

/** How far an unfinished tag was scanned, to resume there with the next chunk. */
interface TagScan {
  offset: number;
  state: number;
}

const T_NAME = 0;
const T_BEFORE_ATTRIBUTE = 1;
const T_ATTRIBUTE_NAME = 2;
const T_AFTER_NAME = 3;
const T_BEFORE_VALUE = 4;
const T_DOUBLE_QUOTED = 5;
const T_SINGLE_QUOTED = 6;
const T_UNQUOTED = 7;
const T_SLASH = 8;

/**
 * The index just past the end of the tag at `start` (parseTag's rules, without building
 * anything), or where the text ran out. Resumable, so a tag longer than a chunk (a data:
 * URL of megabytes) is scanned once, not once per chunk.
 */
function scanTag(s: string, start: number, endTag: boolean, resume: TagScan | null): number | TagScan {
  const n = s.length;
  let i = resume ? start + resume.offset : start + (endTag ? 2 : 1);
  let state = resume ? resume.state : T_NAME;
  while (i < n) {
    const c = s.charCodeAt(i);
    switch (state) {
      case T_NAME:
      case T_UNQUOTED:
        if (c === 62) return i + 1;
        if (isWhitespace(c)) state = T_BEFORE_ATTRIBUTE;
        else if (c === 47 && state === T_NAME) state = T_SLASH;
        break;
      case T_BEFORE_ATTRIBUTE:
      case T_AFTER_NAME:
        if (c === 62) return i + 1;
        if (c === 47) state = T_SLASH;
        else if (c === 61 && state === T_AFTER_NAME) state = T_BEFORE_VALUE;
        else if (!isWhitespace(c)) state = T_ATTRIBUTE_NAME;
        break;
      case T_ATTRIBUTE_NAME:
        if (c === 62) return i + 1;
        if (isWhitespace(c)) state = T_AFTER_NAME;
        else if (c === 47) state = T_SLASH;
        else if (c === 61) state = T_BEFORE_VALUE;
        break;
      case T_BEFORE_VALUE:
        if (c === 62) return i + 1;
        if (c === 34) state = T_DOUBLE_QUOTED;
        else if (c === 39) state = T_SINGLE_QUOTED;
        else if (!isWhitespace(c)) state = T_UNQUOTED;
        break;
      case T_DOUBLE_QUOTED:
      case T_SINGLE_QUOTED: {
        const close = s.indexOf(state === T_DOUBLE_QUOTED ? '"' : "'", i);
        if (close === -1) return { offset: n - start, state };
        i = close;
        state = T_BEFORE_ATTRIBUTE;
        break;
      }
      default: // T_SLASH: `/>` ends a self-closing tag; anything else is read again as between attributes
        if (c === 62) return i + 1;
        state = T_BEFORE_ATTRIBUTE;
        continue;
    }
    i++;
  }
  return { offset: n - start, state };
}

function attribute(tag: Tag, lower: string): Attribute | undefined {
  for (const a of tag.attributes) if (a.lower === lower) return a;
  return undefined;
}

function serialize(tag: Tag): string {
  let out = `<${tag.name}`;
  for (const a of tag.attributes) {
    if (a.removed) continue;
    if (a.set === undefined) out += ` ${a.raw}`;
    else out += ` ${a.name}="${a.set.includes('"') ? a.set.replaceAll('"', '&quot;') : a.set}"`;
  }
  return out + (tag.selfClosing ? ' />' : '>');
}

/** The tokenizer and rewriter; `write` takes decoded text and returns what is ready to send. */
class LinkRewriter {
  private readonly documentUrl: URL;
  private readonly table: LinkTable;
  private readonly mapUrl: (value: string, base: URL) => string | null;
  private base: URL;
  private baseSeen = false;
  private pending = '';
  private state = DATA;
  private endTag: RegExp | null = null;
  /** inside an HTML <style>: its text so far, written once complete */
  private css: string | null = null;
  /** inside an SVG/MathML <style>: text nodes get url() rewriting */
  private foreignStyle = false;
  /** the text node (or CDATA section) of such a <style> so far */
  private foreignCss = '';
  /** script data: 0 plain, 1 escaped (`<!--`), 2 double escaped (`<!--<script>`) */
  private scriptState = 0;
  private commentStart = false;
  /** set while `pending` is one unfinished tag: how far it was scanned */
  private tagScan: TagScan | null = null;
  private readonly stack: Frame[] = [{ ns: HTML, tag: '' }];

  constructor(documentUrl: URL, table: LinkTable) {
    this.documentUrl = documentUrl;
    this.table = table;
    this.mapUrl = urlMapper(table);
    this.base = documentUrl;
  }

  write(text: string, final: boolean): string {
    if (this.tagScan && !final) {
      // `pending` is a tag still unfinished: scan only the new text, and leave `pending` a
      // rope until the tag ends (reading it would copy it whole, once per chunk).
      const end = scanTag(text, 0, false, { offset: 0, state: this.tagScan.state });
      if (typeof end !== 'number') {
        this.tagScan = { offset: this.tagScan.offset + text.length, state: end.state };
        this.pending += text;
        return '';
      }
    }
    this.tagScan = null;
    const s = this.pending + text;
    const n = s.length;
    let out = '';
    let emitted = 0; // s[emitted, i) is processed but not yet in `out`
    let i = 0;
    run: while (i < n) {
      switch (this.state) {
        case DATA: {
          if (this.stack.length === 1 && !this.foreignStyle) {
            SKIP.lastIndex = i;
            while (SKIP.test(s)) i = SKIP.lastIndex;
            if (i >= n) break run;
          }
          const lt = s.indexOf('<', i);
          if (this.foreignStyle) {
            // A text node of an SVG/MathML <style>: gathered whole, then url()s rewritten.
            const textEnd = lt === -1 ? n : lt;
            out += s.slice(emitted, i);
            this.foreignCss += s.slice(i, textEnd);
            emitted = i = textEnd;
            if (lt === -1 && !final) break run; // the text node may go on
            out += mapCss(this.foreignCss, this.base, this.table);
            this.foreignCss = '';
            if (lt === -1) break run;
          }
          if (lt === -1) {
            i = n;
            break run;
          }
          i = lt;
          if (i + 1 >= n) {
            if (final) i = n;
            break run;
          }
          const c = s.charCodeAt(i + 1);
          if (isAlpha(c)) {
            const tag = this.completeTag(s, i, false);
            if (!tag) {
              if (final) i = n;
              break run;
            }
            const changed = this.startTag(tag);
            if (changed) {
              out += s.slice(emitted, i) + serialize(tag);
              emitted = tag.end;
            }
            i = tag.end;
            if (this.css !== null) {
              out += s.slice(emitted, i);
              emitted = i;
            }
          } else if (c === 47 /* / */) {
            if (i + 2 >= n) {
              if (final) i = n;
              break run;
            }
            const c2 = s.charCodeAt(i + 2);
            if (isAlpha(c2)) {
              const tag = this.completeTag(s, i, true);
              if (!tag) {
                if (final) i = n;
                break run;
              }
              this.endTagSeen(tag.name.toLowerCase());
              i = tag.end;
            } else if (c2 === 62) {
              i += 3;
            } else {
              this.state = BOGUS_COMMENT;
              i += 2;
            }
          } else if (c === 33 /* ! */) {
            if (s.startsWith('<!--', i)) {
              this.state = COMMENT;
              this.commentStart = true;
              i += 4;
            } else if (this.stack.at(-1)!.ns !== HTML && s.startsWith('<![CDATA[', i)) {
              this.state = CDATA;
              i += 9;
            } else if (!final && n - i < 9 && ('<!--'.startsWith(s.slice(i)) || '<![CDATA['.startsWith(s.slice(i)))) {
              break run;
            } else {
              this.state = BOGUS_COMMENT;
              i += 2;
            }
          } else if (c === 63 /* ? */) {
            this.state = BOGUS_COMMENT;
            i += 1;
          } else {
            i += 1;
          }
          break;
        }
        case RAWTEXT: {
          const endTag = this.endTag!;
          endTag.lastIndex = i;
          const found = endTag.exec(s);
          // Without the end tag, keep back what could be its start.
          const stop = found ? found.index : final ? n : Math.max(i, safeCut(s, n - endTag.source.length));
          if (this.css !== null) {
            this.css += s.slice(i, stop);
            emitted = stop;
            if (found || final) {
              out += mapCss(this.css, this.base, this.table);
              this.css = null;
            }
          }
          i = stop;
          if (!found) break run;
          this.state = DATA;
          break;
        }
        case SCRIPT: {
          const end = this.scanScript(s, i, final);
          if (end < 0) {
            i = -end - 1;
            break run;
          }
          i = end;
          this.state = DATA;
          break;
        }
        case COMMENT: {
          if (this.commentStart) {
            if (n - i < 2 && !final) break run;
            this.commentStart = false;
            // `<!-->` and `<!--->` are complete comments
            if (s.startsWith('>', i) || s.startsWith('->', i)) {
              i += s.charCodeAt(i) === 62 ? 1 : 2;
              this.state = DATA;
              break;
            }
          }
          COMMENT_END.lastIndex = i;
          const found = COMMENT_END.exec(s);
          if (!found) {
            i = final ? n : Math.max(i, safeCut(s, n - 3));
            break run;
          }
          i = COMMENT_END.lastIndex;
          this.state = DATA;
          break;
        }
        case BOGUS_COMMENT: {
          const gt = s.indexOf('>', i);
          if (gt === -1) {
            i = n;
            break run;
          }
          i = gt + 1;
          this.state = DATA;
          break;
        }
        case CDATA: {
          const close = s.indexOf(']]>', i);
          if (this.foreignStyle) {
            // CDATA in an SVG <style> is CSS text to HTMLRewriter too.
            const end = close !== -1 ? close : final ? n : Math.max(i, safeCut(s, n - 2));
            out += s.slice(emitted, i);
            this.foreignCss += s.slice(i, end);
            emitted = i = end;
            if (close === -1 && !final) break run;
            out += mapCss(this.foreignCss, this.base, this.table);
            this.foreignCss = '';
            if (close === -1) break run;
          }
          if (close === -1) {
            i = final ? n : Math.max(i, safeCut(s, n - 2));
            break run;
          }
          i = close + 3;
          this.state = DATA;
          break;
        }
        default: // PLAINTEXT: the rest is text
          i = n;
          break run;
      }
    }
    if (final) {
      if (this.foreignCss) {
        out += s.slice(emitted, i) + mapCss(this.foreignCss, this.base, this.table);
        this.foreignCss = '';
        emitted = i;
      }
      if (this.css !== null) {
        // An unclosed <style> at the end of the document.
        out += mapCss(this.css, this.base, this.table);
        this.css = null;
        emitted = Math.max(emitted, i);
      }
      i = n;
    }
    out += s.slice(emitted, i);
    this.pending = s.slice(i);
    return out;
  }

  /** The tag at `start`, or null (remembering how far it was scanned) if the text ends first. */
  private completeTag(s: string, start: number, endTag: boolean): Tag | null {
    const tag = parseTag(s, start, endTag);
    if (!tag) {
      const end = scanTag(s, start, endTag, null);
      this.tagScan = typeof end === 'number' ? null : end;
    }
    return tag;
  }

  /** Rewrites the tag's attributes and follows the state it switches to; true if changed. */
  private startTag(tag: Tag): boolean {
    const name = tag.name.toLowerCase();
    let ns = this.stack.at(-1)!.ns;
    if (ns !== HTML && (BREAKOUT.has(name) || (name === 'font' && (attribute(tag, 'color') || attribute(tag, 'face') || attribute(tag, 'size'))))) {
      // The spec leaves all foreign content here; lol-html leaves one level of it (an <svg>
      // in an <svg> takes two), and output must equal lol-html's.
      this.stack.pop();
      ns = this.stack.at(-1)!.ns;
    }
    const changed = tag.attributes.length > 0 && this.rewriteAttributes(tag, name);
    if (name === 'svg' || name === 'math') {
      // lol-html enters the namespace even for a self-closing `<svg/>`, in any context.
      this.stack.push({ ns: name === 'svg' ? SVG : MATHML, tag: name });
    } else if (ns === HTML) {
      if (name === 'script') {
        this.state = SCRIPT;
        this.scriptState = 0;
      } else if (name === 'plaintext') {
        this.state = PLAINTEXT;
      } else if (END_TAG.has(name)) {
        this.state = RAWTEXT;
        this.endTag = END_TAG.get(name)!;
        if (name === 'style') this.css = '';
      }
    } else if (!tag.selfClosing) {
      if (
        (ns === SVG && SVG_HTML_POINTS.has(name)) ||
        (ns === MATHML && MATHML_TEXT_POINTS.has(name)) ||
        (ns === MATHML && name === 'annotation-xml' && /^(?:text\/html|application\/xhtml\+xml)$/i.test(attribute(tag, 'encoding')?.value ?? ''))
      ) {
        this.stack.push({ ns: HTML, tag: name, closedBy: ns === SVG ? SVG_HTML_POINTS : MATHML_POINTS });
      } else if (name === 'style') {
        this.foreignStyle = true;
      }
    }
    return changed;
  }

  private endTagSeen(name: string): void {
    if (name === 'style') this.foreignStyle = false;
    // `</p>` and `</br>` end foreign content like a breakout start tag (one level, as above).
    if ((name === 'p' || name === 'br') && this.stack.at(-1)!.ns !== HTML) {
      this.stack.pop();
      return;
    }
    // Only the innermost context ends here (`</svg>` inside an SVG <title> does not leave
    // the SVG), as lol-html tracks it.
    const top = this.stack.at(-1)!;
    if (this.stack.length > 1 && (top.closedBy ? top.closedBy.has(name) : top.tag === name)) this.stack.pop();
  }

  /** The reference's handlers, in its order, on one tag. */
  private rewriteAttributes(tag: Tag, name: string): boolean {
    const { table } = this;
    let changed = false;
    if (name === 'base') {
      const href = attribute(tag, 'href');
      if (href) {
        // Only the first <base href> counts, and it is itself relative to the document.
        if (!this.baseSeen) {
          this.baseSeen = true;
          this.base = baseFrom(href.value, this.documentUrl);
        }
        const mapped = this.mapUrl(href.value, this.documentUrl);
        if (mapped !== null) changed = set(href, mapped);
      }
    }
    const rules = RULES.get(name);
    if (rules) {
      for (const attributeName of rules.url) {
        const a = attribute(tag, attributeName);
        if (!a) continue;
        const mapped = this.mapUrl(a.value, this.base);
        if (mapped === null) continue;
        changed = set(a, mapped);
        // lol-html's removeAttribute drops every duplicate too (setAttribute only the first).
        if (INTEGRITY_ELEMENTS.has(name)) for (const a of tag.attributes) if (a.lower === 'integrity') a.removed = true;
      }
      for (const attributeName of rules.srcset) {
        const a = attribute(tag, attributeName);
        if (!a) continue;
        const mapped = mapSrcset(a.value, this.base, table);
        if (mapped !== null) changed = set(a, mapped);
      }
    }
    if (name === 'meta') {
      const equiv = attribute(tag, 'http-equiv');
      const content = attribute(tag, 'content');
      if (equiv && content && equiv.value.trim().toLowerCase() === 'refresh') {
        const mapped = mapRefresh(content.value, this.base, table);
        if (mapped !== null) changed = set(content, mapped);
      }
    }
    const style = attribute(tag, 'style');
    if (style) {
      const mapped = mapCss(style.value, this.base, table);
      if (mapped !== style.value) changed = set(style, mapped);
    }
    return changed;
  }

  /**
   * Finds where a script's text ends (the `<` of its end tag) by the script data states,
   * which let `<!--<script>` hide a `</script>`. Returns that index, or -(resume + 1) when
   * the text ends first: scanning resumes at `resume` with the next chunk.
   */
  private scanScript(s: string, from: number, final: boolean): number {
    const n = s.length;
    const scriptEnd = END_TAG.get('script')!;
    let i = from;
    for (;;) {
      let next: number;
      let kind: 'end' | 'open' | 'close' | 'start';
      scriptEnd.lastIndex = i;
      const end = scriptEnd.exec(s);
      const endAt = end ? end.index : -1;
      if (this.scriptState === 0) {
        const open = s.indexOf('<!--', i);
        if (open !== -1 && (endAt === -1 || open < endAt)) {
          next = open;
          kind = 'open';
        } else {
          next = endAt;
          kind = 'end';
        }
      } else {
        const close = s.indexOf('-->', i);
        next = endAt;
        kind = 'end';
        if (close !== -1 && (next === -1 || close < next)) {
          next = close;
          kind = 'close';
        }
        if (this.scriptState === 1) {
          START_SCRIPT.lastIndex = i;
          const start = START_SCRIPT.exec(s);
          if (start && (next === -1 || start.index < next)) {
            next = start.index;
            kind = 'start';
          }
        }
      }
      if (next === -1) {
        // Keep back what could be the start of a pattern (`</script` + delimiter is longest).
        return final ? -(n + 1) : -(Math.max(i, safeCut(s, n - 9)) + 1);
      }
      switch (kind) {
        case 'end':
          if (this.scriptState === 2) {
            this.scriptState = 1;
            i = next + 9;
            break;
          }
          return next;
        case 'open':
          this.scriptState = 1;
          // The dashes of `<!--` count towards a closing `-->`: `<!-->` closes at once.
          i = next + 2;
          break;
        case 'close':
          this.scriptState = 0;
          i = next + 3;
          break;
        case 'start':
          this.scriptState = 2;
          i = next + 8;
          break;
      }
    }
  }
}

const START_SCRIPT = /<script[\t\n\f\r />]/gi;

/** Marks an attribute changed; returns true for `changed = set(...)`. */
function set(a: Attribute, value: string): true {
  a.set = value;
  return true;
}
