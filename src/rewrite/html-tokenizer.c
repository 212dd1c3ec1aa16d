// The link rewriter's tokenizer, on bytes, compiled to WebAssembly (npm run wasm).
//
// Why C: compiled to WebAssembly, the tokenizer runs several times faster than the same
// tokenizer in JavaScript, and on bytes the page never becomes a JS string (no decode, no
// encode). The figures are in docs/performance.md.
//
// It follows the HTML tokenizer's rules as lol-html (HTMLRewriter) applies them, and writes
// what the HTMLRewriter rewriter (html.ts, the reference) writes, byte for byte: only
// changed tags are re-serialized (`<` raw name, each attribute as written or, if changed,
// ` name="value"` with `"` as `&quot;`, then `>` or ` />`). Values are raw (no entity
// decoding), as getAttribute returns them.
//
// URL values are mapped here when they are plain (the common case: a link to a configured
// origin spelled the way the URL parser would write it, or anything that cannot be one);
// everything else (srcset, CSS, meta refresh, <base>, unusual URLs) is handed to JS through
// `callback`, which answers with the new bytes in the scratch buffer, or -1 for no change.
//
// One instance serves every response of an isolate: JS copies `state` in before and out
// after each call, and keeps the unconsumed input, so responses never share anything.

#include <wasm_simd128.h>

typedef unsigned char u8;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

enum { CB_URL = 0, CB_BASE = 1, CB_SRCSET = 2, CB_META = 3, CB_CSS = 4 };
IMPORT(callback) i32 callback(u32 kind, const u8 *value, u32 length, const u8 *value2, u32 length2);

// ---- memory: a bump allocator; buffers grow by reallocation at the top ----------------

extern u8 __heap_base;
static u32 top;

static u8 *allocate(u32 size) {
  if (!top) top = (u32)&__heap_base;
  top = (top + 15) & ~15u;
  // 16 bytes of slack after each buffer: word loads may read past a name's end (keyOfWords).
  u32 end = top + size + 16;
  u32 have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (unsigned long)-1) __builtin_trap();
  u8 *p = (u8 *)top;
  top = end;
  return p;
}

typedef struct {
  u8 *p;
  u32 length;
  u32 capacity;
} Buffer;

static void ensure(Buffer *b, u32 capacity) {
  if (capacity <= b->capacity) return;
  u32 grown = b->capacity * 2 > capacity ? b->capacity * 2 : capacity;
  if (grown < 65536) grown = 65536;
  u8 *p = allocate(grown);
  if (b->length) __builtin_memcpy(p, b->p, b->length);
  b->p = p;
  b->capacity = grown;
}

static Buffer input, output, scratch, values;

/**
 * memcpy for the short pieces a rewrite is made of: V8 runs memory.copy as a call into the
 * runtime, several times the cost of copying a URL word by word.
 */
static void copy(u8 *to, const u8 *from, u32 n) {
  if (n > 256) {
    __builtin_memcpy(to, from, n);
    return;
  }
  // Whole words only: the last one (or pair of halves) overlaps the one before it.
  typedef unsigned long long __attribute__((aligned(1), may_alias)) u64u;
  typedef unsigned int __attribute__((aligned(1), may_alias)) u32u;
  if (n >= 8) {
    u64 last = *(const u64u *)(from + n - 8);
    for (u32 i = 0; i + 8 < n; i += 8) *(u64u *)(to + i) = *(const u64u *)(from + i);
    *(u64u *)(to + n - 8) = last;
  } else if (n >= 4) {
    u32 first = *(const u32u *)from, last = *(const u32u *)(from + n - 4);
    *(u32u *)to = first, *(u32u *)(to + n - 4) = last;
  } else if (n) {
    u8 first = from[0], middle = from[n >> 1], last = from[n - 1];
    to[0] = first, to[n >> 1] = middle, to[n - 1] = last;
  }
}

static void emit(const u8 *p, u32 n) {
  if (output.length + n > output.capacity) ensure(&output, output.length + n);
  copy(output.p + output.length, p, n);
  output.length += n;
}

// ---- configured origins, for mapping plain URLs without JS ----------------------------

typedef struct {
  const u8 *origin;
  u32 originLength;
  // set when one route always wins at this origin (see fast-url.ts, `only`)
  u32 only;
  const u8 *prefix;
  u32 prefixLength;
  const u8 *base;
  u32 baseLength;
  // set when a sticky route has an upstream here: a path under no base path keeps its path
  u32 outside;
} Known;

#define MAX_KNOWN 256
static Known known[MAX_KNOWN];
static u32 knownCount;
static Buffer table;

static u32 readU32(const u8 *p) { return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24; }

/** Room for the table blob JS writes before load_table. */
EXPORT(table_buffer) u8 *tableBuffer(u32 length) {
  table.length = 0;
  ensure(&table, length);
  return table.p;
}

/** Per origin: u32 length + origin, u32 only, u32 length + prefix, u32 length + base, u32 outside. */
EXPORT(load_table) void loadTable(u32 count) {
  const u8 *p = table.p;
  knownCount = count < MAX_KNOWN ? count : MAX_KNOWN;
  for (u32 k = 0; k < knownCount; k++) {
    Known *o = &known[k];
    o->originLength = readU32(p), o->origin = p + 4, p += 4 + o->originLength;
    o->only = readU32(p), p += 4;
    o->prefixLength = readU32(p), o->prefix = p + 4, p += 4 + o->prefixLength;
    o->baseLength = readU32(p), o->base = p + 4, p += 4 + o->baseLength;
    o->outside = readU32(p), p += 4;
  }
}

// ---- per-response state, copied in and out by JS --------------------------------------

enum { DATA, RAWTEXT, SCRIPT, PLAINTEXT, COMMENT, BOGUS_COMMENT, CDATA };
enum { NS_HTML, NS_SVG, NS_MATHML };
// What opened a namespace context: the root, <svg>, <math>, or an HTML integration point in
// SVG or MathML (closed by the end tag of any integration point of its kind, as lol-html does).
enum { FRAME_ROOT, FRAME_SVG, FRAME_MATH, FRAME_SVG_POINT, FRAME_MATHML_POINT };
#define MAX_DEPTH 4096

typedef struct {
  u32 state;
  /** RAWTEXT: the element whose end tag ends it */
  u32 rawElement;
  /** script data: 0 plain, 1 escaped (`<!--`), 2 double escaped (`<!--<script>`) */
  u32 scriptState;
  u32 commentStart;
  /** inside an HTML <style>: its text is rewritten as CSS once complete */
  u32 css;
  /** inside an SVG/MathML <style>: text nodes get url() rewriting */
  u32 foreignStyle;
  /** the known origin the base URL is at (root-relative URLs map here), or -1 */
  i32 baseOrigin;
  /** while input ends inside a tag: how far it was scanned (bytes from `<`), and in what state */
  u32 tagScanning;
  u32 tagScanned;
  u32 tagScanState;
  /**
   * CSS text kept whole until its end comes (<style> text, an SVG <style> text node or
   * CDATA section): how far from its start it was searched, so more input only searches
   * what is new.
   */
  u32 textScanned;
  /** the input ended inside such CSS text: more input is only searched for its end (scan_more) */
  u32 textWaiting;
  u32 depth;
  u8 frames[MAX_DEPTH];
} State;

static State state;
/** set by write and scan_more: see resume_overlap */
static u32 resumeOverlap;

EXPORT(state_pointer) State *statePointer(void) { return &state; }
/** The bytes of the state in use: the frames past `depth` are never read before written. */
EXPORT(state_used) u32 stateUsed(void) { return __builtin_offsetof(State, frames) + state.depth; }
EXPORT(reset_state) void resetState(i32 baseOrigin) {
  __builtin_memset(&state, 0, __builtin_offsetof(State, frames) + 1);
  state.baseOrigin = baseOrigin;
  state.depth = 1;
}
/** Called by JS (inside CB_BASE) when the base URL changes. */
EXPORT(set_base_origin) void setBaseOrigin(i32 index) { state.baseOrigin = index; }

static u32 frameNs(u8 frame) { return frame == FRAME_SVG ? NS_SVG : frame == FRAME_MATH ? NS_MATHML : NS_HTML; }
static u32 currentNs(void) { return frameNs(state.frames[state.depth - 1]); }
static void push(u8 frame) {
  // Deeper nesting than this is not a page anyone serves; the extra levels are not tracked.
  if (state.depth < MAX_DEPTH) state.frames[state.depth++] = frame;
}
static void pop(void) {
  if (state.depth > 1) state.depth--;
}

// ---- bytes -------------------------------------------------------------------------------

// Byte classes, one load instead of a chain of comparisons in the tokenizer's inner loops.
enum {
  C_SPACE = 1,
  /** ends a tag name: whitespace, `/`, `>` */
  C_NAME_END = 2,
  /** ends an attribute name: whitespace, `/`, `>`, `=` */
  C_ATTRIBUTE_END = 4,
  /** ends an unquoted value: whitespace, `>` */
  C_VALUE_END = 8,
  /** copied unchanged by the URL parser into an http(s) path, query or fragment */
  C_PLAIN = 16,
  /** plain, and nothing to look at in a path: not `.`, `?` or `#` */
  C_PATH = 32,
};
#define SPACE (C_SPACE | C_NAME_END | C_ATTRIBUTE_END | C_VALUE_END)
#define PATH (C_PLAIN | C_PATH)
static const u8 CLASS[256] = {
    [' '] = SPACE, ['\t'] = SPACE, ['\n'] = SPACE, ['\f'] = SPACE, ['\r'] = SPACE,
    ['/'] = C_NAME_END | C_ATTRIBUTE_END | PATH, ['>'] = C_NAME_END | C_ATTRIBUTE_END | C_VALUE_END, ['='] = C_ATTRIBUTE_END | PATH,
    ['A' ... 'Z'] = PATH, ['a' ... 'z'] = PATH, ['0' ... '9'] = PATH,
    ['-'] = PATH, ['_'] = PATH, ['~'] = PATH, ['!'] = PATH, ['$'] = PATH, ['&'] = PATH,
    ['('] = PATH, [')'] = PATH, ['*'] = PATH, ['+'] = PATH, [','] = PATH, [';'] = PATH, [':'] = PATH, ['@'] = PATH,
    ['.'] = C_PLAIN, ['?'] = C_PLAIN, ['#'] = C_PLAIN,
};
static int isWhitespace(u8 c) { return CLASS[c] & C_SPACE; }
static int isAlpha(u8 c) { return (u8)((c | 32) - 'a') < 26; }
static u8 lower(u8 c) { return (u8)(c - 'A') < 26 ? c | 32 : c; }

/**
 * The first `c` in s[from, n), 16 bytes at a time; -1 if none. The last load may read up to
 * 15 bytes past n, which every buffer has room for (allocate): a byte by byte tail costs more
 * than the search on the short values most calls get.
 */
static i32 find(const u8 *s, u32 from, u32 n, u8 c) {
  v128_t needle = wasm_i8x16_splat((char)c);
  for (u32 i = from; i < n; i += 16) {
    u32 mask = (u32)wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(s + i), needle));
    if (mask) {
      u32 at = i + (u32)__builtin_ctz(mask);
      return at < n ? (i32)at : -1;
    }
  }
  return -1;
}
static i32 findText(const u8 *s, u32 from, u32 n, const char *text, u32 length) {
  if (n < length) return -1;
  for (u32 i = from; i + length <= n; i++) {
    if (s[i] != (u8)text[0]) continue;
    u32 k = 1;
    while (k < length && s[i + k] == (u8)text[k]) k++;
    if (k == length) return (i32)i;
  }
  return -1;
}
/** a[0, n) == b[0, n), a word at a time (the last word overlaps the one before it). */
static int sameBytes(const u8 *a, const u8 *b, u32 n) {
  typedef unsigned long long __attribute__((aligned(1), may_alias)) u64u;
  if (n < 8) {
    for (u32 k = 0; k < n; k++)
      if (a[k] != b[k]) return 0;
    return 1;
  }
  for (u32 k = 0; k + 8 < n; k += 8)
    if (*(const u64u *)(a + k) != *(const u64u *)(b + k)) return 0;
  return *(const u64u *)(a + n - 8) == *(const u64u *)(b + n - 8);
}
static int startsWith(const u8 *s, u32 at, u32 n, const char *text, u32 length) {
  if (at > n || n - at < length) return 0;
  for (u32 k = 0; k < length; k++)
    if (s[at + k] != (u8)text[k]) return 0;
  return 1;
}
/** True if s[at, n) is a proper start of `text` (more input may complete it). */
static int couldStart(const u8 *s, u32 at, u32 n, const char *text, u32 length) {
  if (n - at >= length) return 0;
  for (u32 k = 0; at + k < n; k++)
    if (s[at + k] != (u8)text[k]) return 0;
  return 1;
}
static int equalsLower(const u8 *s, u32 length, const char *text) {
  u32 k = 0;
  for (; k < length; k++)
    if (!text[k] || lower(s[k]) != (u8)text[k]) return 0;
  return text[k] == 0;
}

// ---- element and attribute names ---------------------------------------------------------

// Element flags: what the reference does at each element.
enum {
  E_HREF = 1 << 0,
  E_SRC = 1 << 1,
  E_ACTION = 1 << 2,
  E_FORMACTION = 1 << 3,
  E_POSTER = 1 << 4,
  E_DATA = 1 << 5,
  E_CITE = 1 << 6,
  E_BACKGROUND = 1 << 7,
  E_XLINK_HREF = 1 << 8,
  E_SRCSET = 1 << 9,
  E_IMAGESRCSET = 1 << 10,
  E_INTEGRITY = 1 << 11,
  E_BREAKOUT = 1 << 12,
  E_SVG_POINT = 1 << 13,
  E_MATHML_TEXT_POINT = 1 << 14,
  E_MATHML_POINT = 1 << 15,
  E_RAWTEXT = 1 << 16,
};
#define E_URL_ATTRIBUTES 0x1ff

// Element ids the tokenizer tests for by name.
enum { X_OTHER, X_BASE, X_META, X_SCRIPT, X_PLAINTEXT, X_SVG, X_MATH, X_STYLE, X_FONT, X_ANNOTATION_XML, X_P, X_BR };

typedef struct {
  const char *name;
  u32 flags;
  u32 id;
} Element;

static const Element ELEMENTS[] = {
    {"a", E_HREF | E_XLINK_HREF},
    {"area", E_HREF},
    {"link", E_HREF | E_IMAGESRCSET | E_INTEGRITY},
    {"image", E_HREF | E_XLINK_HREF},
    {"use", E_HREF | E_XLINK_HREF},
    {"feimage", E_HREF | E_XLINK_HREF},
    {"textpath", E_HREF | E_XLINK_HREF},
    {"img", E_SRC | E_SRCSET | E_BREAKOUT},
    {"script", E_SRC | E_INTEGRITY, X_SCRIPT},
    {"iframe", E_SRC | E_RAWTEXT},
    {"frame", E_SRC},
    {"source", E_SRC | E_SRCSET},
    {"video", E_SRC | E_POSTER},
    {"audio", E_SRC},
    {"embed", E_SRC | E_BREAKOUT},
    {"track", E_SRC},
    {"input", E_SRC | E_FORMACTION},
    {"form", E_ACTION},
    {"button", E_FORMACTION},
    {"object", E_DATA},
    {"blockquote", E_CITE | E_BREAKOUT},
    {"q", E_CITE},
    {"del", E_CITE},
    {"ins", E_CITE},
    {"body", E_BACKGROUND | E_BREAKOUT},
    {"table", E_BACKGROUND | E_BREAKOUT},
    {"td", E_BACKGROUND},
    {"th", E_BACKGROUND},
    {"base", 0, X_BASE},
    {"meta", E_BREAKOUT, X_META},
    {"plaintext", 0, X_PLAINTEXT},
    {"svg", 0, X_SVG},
    {"math", 0, X_MATH},
    {"style", E_RAWTEXT, X_STYLE},
    {"xmp", E_RAWTEXT},
    {"noembed", E_RAWTEXT},
    {"noframes", E_RAWTEXT},
    {"noscript", E_RAWTEXT},
    {"title", E_RAWTEXT | E_SVG_POINT},
    {"textarea", E_RAWTEXT},
    {"font", 0, X_FONT},
    {"foreignobject", E_SVG_POINT},
    {"desc", E_SVG_POINT},
    {"mi", E_MATHML_TEXT_POINT | E_MATHML_POINT},
    {"mo", E_MATHML_TEXT_POINT | E_MATHML_POINT},
    {"mn", E_MATHML_TEXT_POINT | E_MATHML_POINT},
    {"ms", E_MATHML_TEXT_POINT | E_MATHML_POINT},
    {"mtext", E_MATHML_TEXT_POINT | E_MATHML_POINT},
    {"annotation-xml", E_MATHML_POINT, X_ANNOTATION_XML},
    {"p", E_BREAKOUT, X_P},
    {"br", E_BREAKOUT, X_BR},
    // the rest of the start tags that end foreign content (HTML § 13.2.6.5)
    {"b", E_BREAKOUT},
    {"big", E_BREAKOUT},
    {"center", E_BREAKOUT},
    {"code", E_BREAKOUT},
    {"dd", E_BREAKOUT},
    {"div", E_BREAKOUT},
    {"dl", E_BREAKOUT},
    {"dt", E_BREAKOUT},
    {"em", E_BREAKOUT},
    {"h1", E_BREAKOUT},
    {"h2", E_BREAKOUT},
    {"h3", E_BREAKOUT},
    {"h4", E_BREAKOUT},
    {"h5", E_BREAKOUT},
    {"h6", E_BREAKOUT},
    {"head", E_BREAKOUT},
    {"hr", E_BREAKOUT},
    {"i", E_BREAKOUT},
    {"li", E_BREAKOUT},
    {"listing", E_BREAKOUT},
    {"menu", E_BREAKOUT},
    {"nobr", E_BREAKOUT},
    {"ol", E_BREAKOUT},
    {"pre", E_BREAKOUT},
    {"ruby", E_BREAKOUT},
    {"s", E_BREAKOUT},
    {"small", E_BREAKOUT},
    {"span", E_BREAKOUT},
    {"strong", E_BREAKOUT},
    {"strike", E_BREAKOUT},
    {"sub", E_BREAKOUT},
    {"sup", E_BREAKOUT},
    {"tt", E_BREAKOUT},
    {"u", E_BREAKOUT},
    {"ul", E_BREAKOUT},
    {"var", E_BREAKOUT},
};
#define ELEMENT_COUNT (sizeof ELEMENTS / sizeof ELEMENTS[0])
static const Element OTHER_ELEMENT = {"", 0, X_OTHER};

// Names are looked up by their lower-case bytes packed into two words, in tables built
// once (first write): a tag costs a few word compares, not string compares.
typedef struct {
  u64 low, high;
  u32 length;
  /** what the name stands for, + 1; 0: an empty slot */
  u32 value;
} NameSlot;
#define NAME_SLOTS 256

static NameSlot elementSlots[NAME_SLOTS], attributeSlots[NAME_SLOTS];

static int keyOf(const u8 *s, u32 n, u64 *low, u64 *high) {
  if (n == 0 || n > 16) return 0;
  u64 a = 0, b = 0;
  for (u32 k = 0; k < n && k < 8; k++) a |= (u64)lower(s[k]) << (8 * k);
  for (u32 k = 8; k < n; k++) b |= (u64)lower(s[k]) << (8 * (k - 8));
  *low = a, *high = b;
  return 1;
}
/** `x` with its bytes A-Z made lower case, all eight at once. */
static u64 lowerWord(u64 x) {
  const u64 ones = 0x0101010101010101ull;
  u64 ascii = x & 0x7f * ones;
  u64 fromA = ascii + (0x80 - 'A') * ones; // top bit set in the bytes >= 'A'
  u64 pastZ = ascii + (0x80 - 'Z' - 1) * ones; // in the bytes > 'Z'
  return x | ((fromA & ~pastZ & ~x & 0x80 * ones) >> 2);
}
/**
 * keyOf for a name in the input, 1 <= n <= 16, by words: it may read up to 15 bytes past
 * the name, which every buffer has room for (allocate).
 */
static void keyOfWords(const u8 *s, u32 n, u64 *low, u64 *high) {
  typedef unsigned long long __attribute__((aligned(1), may_alias)) u64u;
  u64 a = *(const u64u *)s, b = 0;
  if (n < 8) a &= (1ull << (8 * n)) - 1;
  else if (n > 8) b = *(const u64u *)(s + 8) & (n < 16 ? (1ull << (8 * (n - 8))) - 1 : ~0ull);
  *low = lowerWord(a), *high = lowerWord(b);
}
static u32 slotOf(u64 low, u64 high, u32 n) { return (u32)(((low ^ (high * 31) ^ n) * 0x9E3779B97F4A7C15ull) >> 56); }

static void insertName(NameSlot *slots, const char *name, u32 value) {
  u32 n = 0;
  while (name[n]) n++;
  u64 low, high;
  keyOf((const u8 *)name, n, &low, &high);
  u32 k = slotOf(low, high, n);
  while (slots[k].value) k = (k + 1) % NAME_SLOTS;
  slots[k] = (NameSlot){low, high, n, value + 1};
}

/** The value stored for a name with this key, + 1; 0 if it is not there. */
static u32 lookupKey(const NameSlot *slots, u64 low, u64 high, u32 n) {
  if (n == 0 || n > 16) return 0;
  for (u32 k = slotOf(low, high, n); slots[k].value; k = (k + 1) % NAME_SLOTS)
    if (slots[k].low == low && slots[k].high == high && slots[k].length == n) return slots[k].value;
  return 0;
}

static u32 lookupName(const NameSlot *slots, const u8 *s, u32 n) {
  u64 low, high;
  return keyOf(s, n, &low, &high) ? lookupKey(slots, low, high, n) : 0;
}

static const Element *elementOf(const u8 *name, u32 n) {
  u32 found = lookupName(elementSlots, name, n);
  return found ? &ELEMENTS[found - 1] : &OTHER_ELEMENT;
}

// Attribute ids; the URL ones share their bit with the element flag.
enum { A_OTHER = 0, A_STYLE = 1 << 16, A_INTEGRITY, A_HTTP_EQUIV, A_CONTENT, A_COLOR, A_FACE, A_SIZE, A_ENCODING };
static const struct {
  const char *name;
  u32 id;
} ATTRIBUTES[] = {
    {"href", E_HREF},         {"src", E_SRC},           {"action", E_ACTION},          {"formaction", E_FORMACTION},
    {"poster", E_POSTER},     {"data", E_DATA},         {"cite", E_CITE},              {"background", E_BACKGROUND},
    {"xlink:href", E_XLINK_HREF}, {"srcset", E_SRCSET}, {"imagesrcset", E_IMAGESRCSET}, {"style", A_STYLE},
    {"integrity", A_INTEGRITY}, {"http-equiv", A_HTTP_EQUIV}, {"content", A_CONTENT}, {"color", A_COLOR},
    {"face", A_FACE},         {"size", A_SIZE},         {"encoding", A_ENCODING},
};

static u32 attributeId(u64 low, u64 high, u32 n) {
  u32 found = lookupKey(attributeSlots, low, high, n);
  return found ? ATTRIBUTES[found - 1].id : A_OTHER;
}

static void buildNameTables(void) {
  static int built;
  if (built) return;
  built = 1;
  for (u32 k = 0; k < ELEMENT_COUNT; k++) insertName(elementSlots, ELEMENTS[k].name, k);
  for (u32 k = 0; k < sizeof ATTRIBUTES / sizeof ATTRIBUTES[0]; k++) insertName(attributeSlots, ATTRIBUTES[k].name, k);
}

// ---- tags ------------------------------------------------------------------------------

typedef struct {
  u32 nameStart, nameEnd;
  /** raw value, empty when absent */
  u32 valueStart, valueEnd;
  /** the attribute as written ends here (a bare `name=` before `>` is written back as `name`) */
  u32 rawEnd;
  u32 id;
  /** offset of the new value in `values`, or -1: unchanged */
  i32 set;
  u32 setLength;
  u32 removed;
} Attribute;

typedef struct {
  u32 nameStart, nameEnd;
  /** the element's entry, + 1, or 0 (start tags) */
  u32 element;
  u32 selfClosing;
  /** just past `>` */
  u32 end;
  u32 count;
} Tag;

static Buffer attributes;
static Attribute *attributeAt(u32 k) { return (Attribute *)attributes.p + k; }

static void addAttribute(u32 nameStart, u32 nameEnd, u32 valueStart, u32 valueEnd, u32 rawEnd, u32 id, Tag *tag) {
  if ((tag->count + 1) * sizeof(Attribute) > attributes.capacity) {
    attributes.length = tag->count * sizeof(Attribute);
    ensure(&attributes, attributes.length + sizeof(Attribute));
  }
  Attribute *a = attributeAt(tag->count++);
  a->nameStart = nameStart, a->nameEnd = nameEnd, a->valueStart = valueStart, a->valueEnd = valueEnd, a->rawEnd = rawEnd;
  a->id = id;
  a->set = -1, a->setLength = 0, a->removed = 0;
}

/** Parses the tag at `start` by the tokenizer's rules; 0 when the input ends before the tag does. */
static int parseTag(const u8 *s, u32 start, u32 n, int endTag, Tag *tag) {
  u32 i = start + (endTag ? 2 : 1);
  tag->nameStart = i;
  u64 low, high;
  while (i < n && !(CLASS[s[i]] & C_NAME_END)) i++;
  tag->nameEnd = i;
  // End tags are looked up only when they can matter (endTagSeen).
  u32 length = i - tag->nameStart;
  tag->element = 0;
  if (!endTag && length <= 16) keyOfWords(s + tag->nameStart, length, &low, &high), tag->element = lookupKey(elementSlots, low, high, length);
  tag->count = 0;
  for (;;) {
    while (i < n && isWhitespace(s[i])) i++;
    if (i >= n) return 0;
    u8 c = s[i];
    if (c == '>') {
      tag->selfClosing = 0, tag->end = i + 1;
      return 1;
    }
    if (c == '/') {
      if (++i >= n) return 0;
      if (s[i] == '>') {
        tag->selfClosing = 1, tag->end = i + 1;
        return 1;
      }
      continue;
    }
    // attribute name: a leading '=' belongs to it
    u32 nameStart = i++;
    while (i < n && !(CLASS[s[i]] & C_ATTRIBUTE_END)) i++;
    u32 nameEnd = i;
    u32 id = A_OTHER;
    if (nameEnd - nameStart <= 16) keyOfWords(s + nameStart, nameEnd - nameStart, &low, &high), id = attributeId(low, high, nameEnd - nameStart);
    while (i < n && isWhitespace(s[i])) i++;
    if (i >= n) return 0;
    if (s[i] != '=') {
      addAttribute(nameStart, nameEnd, nameEnd, nameEnd, nameEnd, id, tag);
      continue;
    }
    i++;
    while (i < n && isWhitespace(s[i])) i++;
    if (i >= n) return 0;
    c = s[i];
    if (c == '"' || c == '\'') {
      i32 close = find(s, i + 1, n, c);
      if (close < 0) return 0;
      addAttribute(nameStart, nameEnd, i + 1, (u32)close, (u32)close + 1, id, tag);
      i = (u32)close + 1;
    } else if (c == '>') {
      // `name=>`: no value, and lol-html writes it back as the bare name.
      addAttribute(nameStart, nameEnd, nameEnd, nameEnd, nameEnd, id, tag);
    } else {
      u32 valueStart = i;
      while (i < n && !(CLASS[s[i]] & C_VALUE_END)) i++;
      if (i >= n) return 0;
      addAttribute(nameStart, nameEnd, valueStart, i, i, id, tag);
    }
  }
}

enum { T_NAME, T_BEFORE_ATTRIBUTE, T_ATTRIBUTE_NAME, T_AFTER_NAME, T_BEFORE_VALUE, T_DOUBLE_QUOTED, T_SINGLE_QUOTED, T_UNQUOTED, T_SLASH };

/**
 * Where the tag at `start` ends (parseTag's rules, building nothing), resuming from
 * state.tagScanned / tagScanState; 0 when the input ends first (the scan state is kept, so
 * a tag longer than a chunk, a data: URL of megabytes, is scanned once).
 */
static u32 scanTag(const u8 *s, u32 start, u32 n) {
  u32 i = start + state.tagScanned;
  u32 t = state.tagScanState;
  while (i < n) {
    u8 c = s[i];
    switch (t) {
      case T_NAME:
      case T_UNQUOTED:
        if (c == '>') return i + 1;
        if (isWhitespace(c)) t = T_BEFORE_ATTRIBUTE;
        else if (c == '/' && t == T_NAME) t = T_SLASH;
        break;
      case T_BEFORE_ATTRIBUTE:
      case T_AFTER_NAME:
        if (c == '>') return i + 1;
        if (c == '/') t = T_SLASH;
        else if (c == '=' && t == T_AFTER_NAME) t = T_BEFORE_VALUE;
        else if (!isWhitespace(c)) t = T_ATTRIBUTE_NAME;
        break;
      case T_ATTRIBUTE_NAME:
        if (c == '>') return i + 1;
        if (isWhitespace(c)) t = T_AFTER_NAME;
        else if (c == '/') t = T_SLASH;
        else if (c == '=') t = T_BEFORE_VALUE;
        break;
      case T_BEFORE_VALUE:
        if (c == '>') return i + 1;
        if (c == '"') t = T_DOUBLE_QUOTED;
        else if (c == '\'') t = T_SINGLE_QUOTED;
        else if (!isWhitespace(c)) t = T_UNQUOTED;
        break;
      case T_DOUBLE_QUOTED:
      case T_SINGLE_QUOTED: {
        i32 close = find(s, i, n, t == T_DOUBLE_QUOTED ? '"' : '\'');
        if (close < 0) {
          i = n;
          continue;
        }
        i = (u32)close;
        t = T_BEFORE_ATTRIBUTE;
        break;
      }
      default: // T_SLASH: `/>` ends a self-closing tag; anything else is read again as between attributes
        if (c == '>') return i + 1;
        t = T_BEFORE_ATTRIBUTE;
        continue;
    }
    i++;
  }
  state.tagScanned = n - start;
  state.tagScanState = t;
  return 0;
}

/** Resumes the scan of the unfinished tag the kept input ends with over new bytes: 1 if it ends in them. */
static u32 scanMoreTag(u32 length) {
  u32 scanned = state.tagScanned;
  state.tagScanned = 0;
  if (scanTag(input.p, 0, length)) return 1;
  state.tagScanned += scanned;
  return 0;
}

// ---- URL values --------------------------------------------------------------------------

#define UNCHANGED (-1)
#define ASK_JS (-2)

static int isHex(u8 c) { return (u8)(c - '0') < 10 || (u8)((c | 32) - 'a') < 6; }

/** `rest` (path, query, fragment) at a known origin, as fast-url.ts's mapRest maps it. */
static i32 mapRest(const Known *o, const u8 *rest, u32 n) {
  if (!o->only) return ASK_JS;
  u32 hashAt = n, i = 0;
  // The path, up to `?` or `#`. A segment starting with "." (or its escape) may be a dot
  // segment the parser removes.
  for (; i < n; i++) {
    u8 c = rest[i];
    if (CLASS[c] & C_PATH) continue;
    if (c == '?' || c == '#') break;
    if (c == '.') {
      if (i && rest[i - 1] == '/') return ASK_JS;
    } else if (c == '%') {
      if (i + 2 >= n || !isHex(rest[i + 1]) || !isHex(rest[i + 2])) return ASK_JS;
      if (i && rest[i - 1] == '/' && rest[i + 1] == '2' && (rest[i + 2] | 32) == 'e') return ASK_JS;
      i += 2;
    } else if (!(CLASS[c] & C_PLAIN)) {
      return ASK_JS;
    }
  }
  u32 queryAt = i;
  for (; i < n; i++) {
    u8 c = rest[i];
    if (c == '%') {
      if (i + 2 >= n || !isHex(rest[i + 1]) || !isHex(rest[i + 2])) return ASK_JS;
      i += 2;
      continue;
    }
    if (!(CLASS[c] & C_PLAIN)) return ASK_JS;
    if (c == '#' && hashAt == n) hashAt = i;
  }
  const u8 *path = queryAt ? rest : (const u8 *)"/";
  u32 pathLength = queryAt ? queryAt : 1;
  // prefixMatches(base, pathname); outside it, the path as it is when a sticky route serves it
  int under = pathLength >= o->baseLength && sameBytes(path, o->base, o->baseLength) && (pathLength == o->baseLength || path[o->baseLength] == '/');
  if (!under && !o->outside) return UNCHANGED;
  const u8 *prefix = o->prefix;
  u32 prefixLength = under ? o->prefixLength : 0;
  u32 baseLength = under ? o->baseLength : 0;
  u32 searchLength = hashAt - queryAt > 1 ? hashAt - queryAt : 0;
  u32 hashLength = n - hashAt > 1 ? n - hashAt : 0;
  scratch.length = 0;
  ensure(&scratch, prefixLength + pathLength + searchLength + hashLength + 1);
  u8 *out = scratch.p;
  u32 length = 0;
  copy(out, prefix, prefixLength), length += prefixLength;
  copy(out + length, path + baseLength, pathLength - baseLength), length += pathLength - baseLength;
  if (!length) out[length++] = '/';
  copy(out + length, rest + queryAt, searchLength), length += searchLength;
  copy(out + length, rest + hashAt, hashLength), length += hashLength;
  return (i32)length;
}

/** True if `authority` is one the URL parser keeps as written (fast-url.ts's tests, in order). */
static int plainAuthority(const u8 *a, u32 n, int https) {
  u32 colon = n;
  for (u32 i = 0; i < n; i++) {
    u8 c = a[i];
    if (c == ':') {
      colon = i;
      break;
    }
    if (!((u8)(c - 'a') < 26 || (u8)(c - '0') < 10 || c == '.' || c == '-')) return 0;
  }
  if (colon == 0) return 0;
  if (colon < n) {
    u32 digits = n - colon - 1;
    if (digits < 1 || digits > 5 || a[colon + 1] == '0') return 0;
    for (u32 i = colon + 1; i < n; i++)
      if ((u8)(a[i] - '0') >= 10) return 0;
    if (!https && digits == 2 && a[colon + 1] == '8' && a[colon + 2] == '0') return 0;
    if (https && digits == 3 && a[colon + 1] == '4' && a[colon + 2] == '4' && a[colon + 3] == '3') return 0;
  }
  // A host ending in a number is an IPv4 address to the parser, which rewrites every form
  // but the canonical dotted quad: leave those to it.
  u32 host = colon, end = host;
  if (end && a[end - 1] == '.') end--;
  u32 labelStart = end;
  while (labelStart && a[labelStart - 1] != '.') labelStart--;
  int numeric = end > labelStart;
  for (u32 i = labelStart; i < end; i++)
    if ((u8)(a[i] - '0') >= 10) numeric = 0;
  if (end - labelStart >= 2 && a[labelStart] == '0' && a[labelStart + 1] == 'x') numeric = 1;
  if (!numeric) return 1;
  // canonical dotted quad: four labels of 0-255 without leading zeros, no trailing dot
  if (end != host) return 0;
  u32 labels = 0, i = 0;
  while (i <= host) {
    u32 start = i, value = 0;
    while (i < host && a[i] != '.') {
      if ((u8)(a[i] - '0') >= 10) return 0;
      value = value * 10 + (a[i] - '0');
      if (i - start >= 3) return 0;
      i++;
    }
    if (i == start || (i - start > 1 && a[start] == '0') || value > 255) return 0;
    labels++;
    i++;
  }
  return labels == 4;
}

static int isSchemeChar(u8 c) { return isAlpha(c) || (u8)(c - '0') < 10 || c == '+' || c == '.' || c == '-'; }

/**
 * A URL value, as fast-url.ts's mapper maps it: the new value's length (bytes in scratch),
 * UNCHANGED, or ASK_JS for anything it leaves to the URL parser.
 */
static i32 mapUrlHere(const u8 *v, u32 n) {
  if (!n) return UNCHANGED;
  // Edge spaces and controls: JS. Non-ASCII (the substitution marker among it) can only
  // reach a mapping through mapRest, which leaves it to JS too.
  if (v[0] <= 32 || v[n - 1] <= 32) return ASK_JS;
  // A leading byte-order mark: HTMLRewriter's values lose it, and so do those JS decodes.
  if (n >= 3 && v[0] == 0xEF && v[1] == 0xBB && v[2] == 0xBF) return ASK_JS;
  u8 first = v[0];
  if (first == 'h') {
    for (u32 k = 0; k < knownCount; k++) {
      const Known *o = &known[k];
      if (n < o->originLength || !sameBytes(v, o->origin, o->originLength)) continue;
      u8 after = n > o->originLength ? v[o->originLength] : '/';
      if (after == '/' || after == '?' || after == '#') return mapRest(o, v + o->originLength, n - o->originLength);
    }
    u32 authority = startsWith(v, 0, n, "http://", 7) ? 7 : startsWith(v, 0, n, "https://", 8) ? 8 : 0;
    if (authority) {
      u32 end = authority;
      while (end < n && v[end] != '/' && v[end] != '?' && v[end] != '#') end++;
      // not a configured origin (it would have matched above) and nothing the parser would respell
      return plainAuthority(v + authority, end - authority, authority == 8) ? UNCHANGED : ASK_JS;
    }
  }
  if (first == '/') {
    if (n > 1 && (v[1] == '/' || v[1] == '\\')) return ASK_JS;
    if (state.baseOrigin < 0) return UNCHANGED;
    return mapRest(&known[state.baseOrigin], v, n);
  }
  if (first == '\\') return ASK_JS;
  // a scheme: only http(s) URLs can point at an origin, and odd spellings are the parser's
  if (!isAlpha(first)) return UNCHANGED;
  u32 i = 1;
  while (i < n && isSchemeChar(v[i])) i++;
  if (i >= n || v[i] != ':') return UNCHANGED;
  if ((i == 4 || i == 5) && lower(v[0]) == 'h' && lower(v[1]) == 't' && lower(v[2]) == 't' && lower(v[3]) == 'p' && (i == 4 || lower(v[4]) == 's')) return ASK_JS;
  return UNCHANGED;
}

/** For tests: the mapping of one value, -1 unchanged, -2 left to JS; the result is in scratch. */
EXPORT(map_url) i32 mapUrlExport(u32 length, i32 baseOrigin) {
  state.baseOrigin = baseOrigin;
  return mapUrlHere(input.p, length);
}
EXPORT(scratch_buffer) u8 *scratchBuffer(u32 capacity) {
  scratch.length = 0;
  ensure(&scratch, capacity);
  return scratch.p;
}

/** Gives the attribute the value in scratch. */
static int setValue(Attribute *a, i32 length) {
  a->set = (i32)values.length;
  a->setLength = (u32)length;
  ensure(&values, values.length + (u32)length);
  copy(values.p + values.length, scratch.p, (u32)length);
  values.length += (u32)length;
  return 1;
}

static Attribute *attribute(Tag *tag, u32 id) {
  for (u32 k = 0; k < tag->count; k++)
    if (attributeAt(k)->id == id) return attributeAt(k);
  return 0;
}

static i32 ask(u32 kind, const Attribute *a, const Attribute *b) {
  return callback(kind, input.p + a->valueStart, a->valueEnd - a->valueStart, b ? input.p + b->valueStart : 0, b ? b->valueEnd - b->valueStart : 0);
}

/** True if CSS text holds `url(`, `@import` or `image-set(` (any case): mapCss changes nothing else. */
static int mayHoldCssUrls(const u8 *s, u32 n) {
  for (u32 i = 0; i < n; i++) {
    u8 c = lower(s[i]);
    if (c == 'u' && i + 4 <= n && lower(s[i + 1]) == 'r' && lower(s[i + 2]) == 'l' && s[i + 3] == '(') return 1;
    if (c == '@' && i + 7 <= n && equalsLower(s + i + 1, 6, "import")) return 1;
    if (c == 'i' && i + 10 <= n && equalsLower(s + i + 1, 8, "mage-set") && s[i + 9] == '(') return 1;
  }
  return 0;
}

/** The reference's handlers, in its order, on one tag; true if it changed. */
static int rewriteAttributes(Tag *tag, const Element *element) {
  int changed = 0;
  if (element->id == X_BASE) {
    Attribute *href = attribute(tag, E_HREF);
    if (href) {
      i32 length = ask(CB_BASE, href, 0);
      if (length >= 0) changed = setValue(href, length);
    }
  }
  for (u32 urls = element->flags & E_URL_ATTRIBUTES; urls; urls &= urls - 1) {
    u32 bit = urls & -urls;
    Attribute *a = attribute(tag, bit);
    if (!a) continue;
    i32 length = mapUrlHere(input.p + a->valueStart, a->valueEnd - a->valueStart);
    if (length == ASK_JS) length = ask(CB_URL, a, 0);
    if (length < 0) continue;
    changed = setValue(a, length);
    // lol-html's removeAttribute drops every duplicate too (setAttribute only the first).
    if (element->flags & E_INTEGRITY)
      for (u32 k = 0; k < tag->count; k++)
        if (attributeAt(k)->id == A_INTEGRITY) attributeAt(k)->removed = 1;
  }
  for (u32 srcsets = element->flags & (E_SRCSET | E_IMAGESRCSET); srcsets; srcsets &= srcsets - 1) {
    u32 bit = srcsets & -srcsets;
    Attribute *a = attribute(tag, bit);
    if (!a) continue;
    i32 length = ask(CB_SRCSET, a, 0);
    if (length >= 0) changed = setValue(a, length);
  }
  if (element->id == X_META) {
    Attribute *equiv = attribute(tag, A_HTTP_EQUIV);
    Attribute *content = attribute(tag, A_CONTENT);
    if (equiv && content) {
      i32 length = ask(CB_META, content, equiv);
      if (length >= 0) changed = setValue(content, length);
    }
  }
  Attribute *style = attribute(tag, A_STYLE);
  if (style && mayHoldCssUrls(input.p + style->valueStart, style->valueEnd - style->valueStart)) {
    i32 length = ask(CB_CSS, style, 0);
    if (length >= 0) changed = setValue(style, length);
  }
  return changed;
}

static void serialize(const u8 *s, Tag *tag) {
  // At most: the tag as written, plus each new value with every `"` as `&quot;` and quotes.
  // (`values` holds this tag's new values only: startTag empties it.)
  u32 most = tag->end - tag->nameStart + 4 + values.length * 6 + tag->count * 3;
  if (output.length + most > output.capacity) ensure(&output, output.length + most);
  u8 *out = output.p + output.length;
  *out++ = '<';
  copy(out, s + tag->nameStart, tag->nameEnd - tag->nameStart), out += tag->nameEnd - tag->nameStart;
  for (u32 k = 0; k < tag->count; k++) {
    Attribute *a = attributeAt(k);
    if (a->removed) continue;
    *out++ = ' ';
    if (a->set < 0) {
      copy(out, s + a->nameStart, a->rawEnd - a->nameStart), out += a->rawEnd - a->nameStart;
      continue;
    }
    copy(out, s + a->nameStart, a->nameEnd - a->nameStart), out += a->nameEnd - a->nameStart;
    *out++ = '=', *out++ = '"';
    const u8 *value = values.p + a->set;
    for (u32 at = 0;;) {
      i32 quote = find(value, at, a->setLength, '"');
      u32 end = quote < 0 ? a->setLength : (u32)quote;
      copy(out, value + at, end - at), out += end - at;
      if (quote < 0) break;
      copy(out, (const u8 *)"&quot;", 6), out += 6;
      at = end + 1;
    }
    *out++ = '"';
  }
  if (tag->selfClosing) *out++ = ' ', *out++ = '/';
  *out++ = '>';
  output.length = (u32)(out - output.p);
}

static int isMarkupEncoding(const Attribute *a) {
  if (!a) return 0;
  const u8 *v = input.p + a->valueStart;
  u32 n = a->valueEnd - a->valueStart;
  return equalsLower(v, n, "text/html") || equalsLower(v, n, "application/xhtml+xml");
}

/** Follows the state a start tag switches to; true if it rewrote the tag. */
static int startTag(Tag *tag) {
  const Element *element = tag->element ? &ELEMENTS[tag->element - 1] : &OTHER_ELEMENT;
  u32 ns = currentNs();
  if (ns != NS_HTML &&
      ((element->flags & E_BREAKOUT) || (element->id == X_FONT && (attribute(tag, A_COLOR) || attribute(tag, A_FACE) || attribute(tag, A_SIZE))))) {
    // The spec leaves all foreign content here; lol-html leaves one level of it (an <svg>
    // in an <svg> takes two), and output must equal lol-html's.
    pop();
    ns = currentNs();
  }
  values.length = 0;
  int changed = tag->count > 0 && rewriteAttributes(tag, element);
  if (element->id == X_SVG || element->id == X_MATH) {
    // lol-html enters the namespace even for a self-closing `<svg/>`, in any context.
    push(element->id == X_SVG ? FRAME_SVG : FRAME_MATH);
  } else if (ns == NS_HTML) {
    if (element->id == X_SCRIPT) {
      state.state = SCRIPT;
      state.scriptState = 0;
    } else if (element->id == X_PLAINTEXT) {
      state.state = PLAINTEXT;
    } else if (element->flags & E_RAWTEXT) {
      state.state = RAWTEXT;
      state.rawElement = (u32)(element - ELEMENTS);
      state.css = element->id == X_STYLE;
    }
  } else if (!tag->selfClosing) {
    if (ns == NS_SVG && (element->flags & E_SVG_POINT)) push(FRAME_SVG_POINT);
    else if (ns == NS_MATHML && (element->flags & E_MATHML_TEXT_POINT)) push(FRAME_MATHML_POINT);
    else if (ns == NS_MATHML && element->id == X_ANNOTATION_XML && isMarkupEncoding(attribute(tag, A_ENCODING))) push(FRAME_MATHML_POINT);
    else if (element->id == X_STYLE) state.foreignStyle = 1;
  }
  return changed;
}

static void endTagSeen(const u8 *name, u32 n) {
  // At the top level, outside an SVG <style>, an end tag changes nothing here.
  if (state.depth <= 1 && !state.foreignStyle) return;
  const Element *element = elementOf(name, n);
  if (element->id == X_STYLE) state.foreignStyle = 0;
  // `</p>` and `</br>` end foreign content like a breakout start tag (one level, as above).
  if ((element->id == X_P || element->id == X_BR) && currentNs() != NS_HTML) {
    pop();
    return;
  }
  // Only the innermost context ends here (`</svg>` inside an SVG <title> does not leave
  // the SVG), as lol-html tracks it.
  if (state.depth <= 1) return;
  u8 frame = state.frames[state.depth - 1];
  int closes = frame == FRAME_SVG ? element->id == X_SVG
             : frame == FRAME_MATH ? element->id == X_MATH
             : frame == FRAME_SVG_POINT ? (element->flags & E_SVG_POINT) != 0
             : (element->flags & E_MATHML_POINT) != 0;
  if (closes) pop();
}

// ---- text states -----------------------------------------------------------------------

/** `</name` followed by a tag delimiter, any case, from `from`; -1 if none. */
static i32 findEndTag(const u8 *s, u32 from, u32 n, const char *name) {
  u32 length = 0;
  while (name[length]) length++;
  for (u32 i = from; i + length + 3 <= n; i++) {
    if (s[i] != '<' || s[i + 1] != '/') continue;
    u32 k = 0;
    while (k < length && lower(s[i + 2 + k]) == (u8)name[k]) k++;
    if (k < length) continue;
    u8 c = s[i + 2 + length];
    if (isWhitespace(c) || c == '/' || c == '>') return (i32)i;
  }
  return -1;
}

/** `<script` followed by a tag delimiter, any case. */
static i32 findScriptStart(const u8 *s, u32 from, u32 n) {
  for (u32 i = from; i + 8 <= n; i++) {
    if (s[i] != '<' || !equalsLower(s + i + 1, 6, "script")) continue;
    u8 c = s[i + 7];
    if (isWhitespace(c) || c == '/' || c == '>') return (i32)i;
  }
  return -1;
}

static u32 keepBack(u32 from, u32 n, u32 length) { return n - from > length ? n - length : from; }

/**
 * Where the text the tokenizer is in ends in s[from, n) (RAWTEXT: its element's end tag;
 * CDATA: `]]>`; DATA: the next `<`), or -1; *resume is where a search must start again when
 * more input comes (what could be the start of the end is searched again).
 */
static i32 findTextEnd(const u8 *s, u32 from, u32 n, u32 *resume) {
  if (state.state == RAWTEXT) {
    const char *name = ELEMENTS[state.rawElement].name;
    u32 length = 0;
    while (name[length]) length++;
    *resume = keepBack(from, n, length + 3);
    return findEndTag(s, from, n, name);
  }
  if (state.state == CDATA) {
    *resume = keepBack(from, n, 2);
    return findText(s, from, n, "]]>", 3);
  }
  *resume = n;
  return find(s, from, n, '<');
}

/**
 * Where a script's text ends (the `<` of its end tag), by the script data states, which
 * let `<!--<script>` hide a `</script>`; or, when the input ends first, -(resume + 1).
 */
static i32 scanScript(const u8 *s, u32 from, u32 n, int final) {
  u32 i = from;
  for (;;) {
    i32 end = findEndTag(s, i, n, "script");
    i32 next;
    int kind; // 0 end, 1 open, 2 close, 3 start
    if (state.scriptState == 0) {
      i32 open = findText(s, i, n, "<!--", 4);
      if (open >= 0 && (end < 0 || open < end)) next = open, kind = 1;
      else next = end, kind = 0;
    } else {
      i32 close = findText(s, i, n, "-->", 3);
      next = end, kind = 0;
      if (close >= 0 && (next < 0 || close < next)) next = close, kind = 2;
      if (state.scriptState == 1) {
        i32 start = findScriptStart(s, i, n);
        if (start >= 0 && (next < 0 || start < next)) next = start, kind = 3;
      }
    }
    if (next < 0) return final ? -(i32)(n + 1) : -(i32)(keepBack(i, n, 9) + 1);
    switch (kind) {
      case 0:
        if (state.scriptState == 2) {
          state.scriptState = 1;
          i = (u32)next + 9;
          break;
        }
        return next;
      case 1:
        state.scriptState = 1;
        // The dashes of `<!--` count towards a closing `-->`: `<!-->` closes at once.
        i = (u32)next + 2;
        break;
      case 2:
        state.scriptState = 0;
        i = (u32)next + 3;
        break;
      default:
        state.scriptState = 2;
        i = (u32)next + 8;
        break;
    }
  }
}

/** Writes CSS text, its url()s mapped by JS when it may have any. */
static void emitCss(const u8 *s, u32 from, u32 to) {
  if (to > from && mayHoldCssUrls(s + from, to - from)) {
    i32 length = callback(CB_CSS, s + from, to - from, 0, 0);
    if (length >= 0) {
      emit(scratch.p, (u32)length);
      return;
    }
  }
  emit(s + from, to - from);
}

/**
 * CSS text at s[i] (a <style>'s, SVG style text, CDATA in an SVG <style>), whose end the
 * search put at `end` (-1: not in the input yet, look again from `resume`): rewritten whole
 * after s[emitted, i), returning where it ends; or, while it may go on, kept for scan_more: -1.
 */
static i32 cssText(const u8 *s, u32 emitted, u32 i, u32 n, i32 end, u32 resume, int final) {
  state.textScanned = 0;
  if (end < 0 && !final) {
    state.textScanned = resume - i;
    state.textWaiting = 1;
    return -1;
  }
  u32 stop = end < 0 ? n : (u32)end;
  emit(s + emitted, i - emitted);
  emitCss(s, i, stop);
  return (i32)stop;
}

// ---- the tokenizer ------------------------------------------------------------------------

/**
 * Rewrites input[0, length) into `output`; returns how many input bytes it consumed (the
 * rest is an unfinished construct JS keeps and passes again, with more, next time).
 */
EXPORT(write) u32 write(u32 length, u32 final) {
  const u8 *s = input.p;
  const u32 n = length;
  buildNameTables(); // a fresh instance may be handed a response's state midway (see fast-html.ts)
  output.length = 0;
  state.textWaiting = 0;
  u32 emitted = 0; // s[emitted, i) is processed but not yet in output
  u32 i = 0;
  Tag tag;
  while (i < n) {
    switch (state.state) {
      case DATA: {
        i32 lt = find(s, state.foreignStyle ? i + state.textScanned : i, n, '<');
        if (state.foreignStyle) {
          // A text node of an SVG/MathML <style>: rewritten whole, as CSS.
          i32 end = cssText(s, emitted, i, n, lt, n, final);
          if (end < 0) goto stop;
          emitted = i = (u32)end;
          if (lt < 0) goto stop;
        }
        if (lt < 0) {
          i = n;
          goto stop;
        }
        i = (u32)lt;
        if (i + 1 >= n) {
          if (final) i = n;
          goto stop;
        }
        u8 c = s[i + 1];
        if (isAlpha(c) || (c == '/' && i + 2 < n && isAlpha(s[i + 2]))) {
          int endTag = c == '/';
          if (endTag && state.depth <= 1 && !state.foreignStyle) {
            // A plain `</name>` where end tags change nothing (endTagSeen): only its end matters.
            u32 j = i + 3;
            while (j < n && !(CLASS[s[j]] & C_NAME_END)) j++;
            if (j < n && s[j] == '>') {
              state.tagScanning = 0;
              i = j + 1;
              break;
            }
          }
          if (!parseTag(s, i, n, endTag, &tag)) {
            // Remember how far the tag was scanned, so more input only scans what is new.
            state.tagScanned = endTag ? 2 : 1, state.tagScanState = T_NAME;
            state.tagScanning = !scanTag(s, i, n);
            if (final) i = n;
            goto stop;
          }
          state.tagScanning = 0;
          if (endTag) {
            endTagSeen(s + tag.nameStart, tag.nameEnd - tag.nameStart);
          } else if (startTag(&tag)) {
            emit(s + emitted, i - emitted);
            serialize(s, &tag);
            emitted = tag.end;
          }
          i = tag.end;
        } else if (c == '/') {
          if (i + 2 >= n) {
            if (final) i = n;
            goto stop;
          }
          if (s[i + 2] == '>') {
            i += 3;
          } else {
            state.state = BOGUS_COMMENT;
            i += 2;
          }
        } else if (c == '!') {
          if (startsWith(s, i, n, "<!--", 4)) {
            state.state = COMMENT;
            state.commentStart = 1;
            i += 4;
          } else if (currentNs() != NS_HTML && startsWith(s, i, n, "<![CDATA[", 9)) {
            state.state = CDATA;
            i += 9;
          } else if (!final && (couldStart(s, i, n, "<!--", 4) || couldStart(s, i, n, "<![CDATA[", 9))) {
            goto stop;
          } else {
            state.state = BOGUS_COMMENT;
            i += 2;
          }
        } else if (c == '?') {
          state.state = BOGUS_COMMENT;
          i += 1;
        } else {
          i += 1;
        }
        break;
      }
      case RAWTEXT: {
        u32 resume;
        i32 found = findTextEnd(s, state.css ? i + state.textScanned : i, n, &resume);
        if (state.css) {
          // <style> text is rewritten once whole: keep it until its end tag comes.
          i32 end = cssText(s, emitted, i, n, found, resume, final);
          if (end < 0) goto stop;
          emitted = i = (u32)end;
          state.css = 0;
        } else {
          // Without the end tag, keep back what could be its start.
          i = found >= 0 ? (u32)found : final ? n : resume;
        }
        if (found < 0) goto stop;
        state.state = DATA;
        break;
      }
      case SCRIPT: {
        i32 end = scanScript(s, i, n, final);
        if (end < 0) {
          i = (u32)(-end - 1);
          goto stop;
        }
        i = (u32)end;
        state.state = DATA;
        break;
      }
      case COMMENT: {
        if (state.commentStart) {
          if (n - i < 2 && !final) goto stop;
          state.commentStart = 0;
          // `<!-->` and `<!--->` are complete comments
          if (s[i] == '>' || (i + 1 < n && s[i] == '-' && s[i + 1] == '>')) {
            i += s[i] == '>' ? 1 : 2;
            state.state = DATA;
            break;
          }
        }
        u32 j = i;
        i32 end = -1;
        u32 endLength = 0;
        for (; j + 2 < n; j++) {
          if (s[j] != '-' || s[j + 1] != '-') continue;
          if (s[j + 2] == '>') {
            end = (i32)j, endLength = 3;
            break;
          }
          if (s[j + 2] == '!' && j + 3 < n && s[j + 3] == '>') {
            end = (i32)j, endLength = 4;
            break;
          }
        }
        if (end < 0) {
          i = final ? n : keepBack(i, n, 3);
          goto stop;
        }
        i = (u32)end + endLength;
        state.state = DATA;
        break;
      }
      case BOGUS_COMMENT: {
        i32 gt = find(s, i, n, '>');
        if (gt < 0) {
          i = n;
          goto stop;
        }
        i = (u32)gt + 1;
        state.state = DATA;
        break;
      }
      case CDATA: {
        u32 resume;
        i32 close = findTextEnd(s, state.foreignStyle ? i + state.textScanned : i, n, &resume);
        if (state.foreignStyle) {
          // CDATA in an SVG <style> is CSS text to HTMLRewriter too.
          i32 end = cssText(s, emitted, i, n, close, resume, final);
          if (end < 0) goto stop;
          emitted = i = (u32)end;
        }
        if (close < 0) {
          i = final ? n : resume;
          goto stop;
        }
        i = (u32)close + 3;
        state.state = DATA;
        break;
      }
      default: // PLAINTEXT: the rest is text
        i = n;
        goto stop;
    }
  }
stop:
  if (final) i = n;
  if (i < emitted) i = emitted;
  emit(s + emitted, i - emitted);
  // CSS text waiting for its end is kept from its start: what scan_more must be given again.
  resumeOverlap = state.textWaiting ? n - i - state.textScanned : 0;
  return i;
}

/**
 * While the input ends inside a tag or CSS text (waiting): looks for its end in
 * input[0, length), which holds the last resume_overlap() bytes of the kept input and then
 * the new ones, so JS need not pass everything kept again until the end comes (a <style>
 * of megabytes would otherwise be copied in once per chunk). 1 if the end is in them: then
 * JS passes all of it to write.
 */
EXPORT(scan_more) u32 scanMore(u32 length) {
  if (state.tagScanning) return scanMoreTag(length);
  u32 resume;
  if (findTextEnd(input.p, 0, length, &resume) >= 0) return 1;
  state.textScanned += resume;
  resumeOverlap = length - resume;
  return 0;
}

/** Room for `length` bytes of input. */
EXPORT(input_buffer) u8 *inputBuffer(u32 length) {
  input.length = 0;
  ensure(&input, length);
  return input.p;
}
EXPORT(output_pointer) u8 *outputPointer(void) { return output.p; }
EXPORT(output_length) u32 outputLength(void) { return output.length; }
/** Whether the input ended inside a tag or CSS text, so more input goes to scan_more first. */
EXPORT(waiting) u32 waiting(void) { return state.tagScanning || state.textWaiting; }
/** How many bytes from the end of the kept input scan_more needs in front of the new ones. */
EXPORT(resume_overlap) u32 resumeOverlapLength(void) { return resumeOverlap; }
