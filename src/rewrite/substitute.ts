// Streaming regex replacement over a text body. Each rule sees the previous rule's output.
// Matches up to WINDOW characters long are found wherever the chunk boundaries fall, and
// the result equals a whole-text String.replace (up to `$\`` / `$'`, which see only the
// window): text is held back until no match starting in it could still grow.
import { textStep, type ByteStep } from './chunks.ts';

/** Longest match guaranteed to be found across chunk boundaries (8 KiB of text). */
export const WINDOW = 8192;
/** Text kept before the search start so `\b`, `^` (with m) and lookbehinds see what preceded it. */
const CONTEXT = 1024;
/** Least new text worth a search, so tiny chunks do not rescan the window each time. */
const STEP = 4096;

export type Replacement = string | ((match: RegExpExecArray) => string);

export interface TextRule {
  regex: RegExp;
  replace: Replacement;
  /** applied to each replacement text after `$n` expansion */
  then?: (replaced: string) => string;
}

// Literal text, a group by number or name, or the match and what precedes or follows it.
// Not strings for the last three: the literal text `$&` (from `$$&`) is a string too.
type Part = string | number | { name: string } | { whole: '&' | '`' | "'" };

/** Splits a replacement template once, the way String.prototype.replace reads it. */
export function parseTemplate(template: string, groupCount: number): Part[] {
  const parts: Part[] = [];
  let literal = '';
  const flush = () => {
    if (literal) parts.push(literal);
    literal = '';
  };
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    const next = template[i + 1];
    if (c !== '$' || next === undefined) {
      literal += c;
      continue;
    }
    if (next === '$') {
      literal += '$';
      i++;
    } else if (next === '&' || next === '`' || next === "'") {
      flush();
      parts.push({ whole: next });
      i++;
    } else if (next >= '0' && next <= '9') {
      const two = template.slice(i + 1, i + 3);
      const twoDigit = /^\d\d$/.test(two) ? Number(two) : 0;
      const oneDigit = Number(next);
      if (twoDigit >= 1 && twoDigit <= groupCount) {
        flush();
        parts.push(twoDigit);
        i += 2;
      } else if (oneDigit >= 1 && oneDigit <= groupCount) {
        flush();
        parts.push(oneDigit);
        i += 1;
      } else literal += c;
    } else if (next === '<') {
      const end = template.indexOf('>', i + 2);
      if (end === -1) literal += c;
      else {
        flush();
        parts.push({ name: template.slice(i + 2, end) });
        i = end;
      }
    } else literal += c;
  }
  flush();
  return parts;
}

function expand(parts: Part[], match: RegExpExecArray, text: string): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += match[part] ?? '';
    else if (typeof part === 'string') out += part;
    else if ('name' in part) out += match.groups ? (match.groups[part.name] ?? '') : `$<${part.name}>`;
    else if (part.whole === '&') out += match[0];
    else if (part.whole === '`') out += text.slice(0, match.index);
    else out += text.slice(match.index + match[0].length);
  }
  return out;
}

interface Prepared {
  /** Global, never sticky (sticky means nothing to a windowed search). Shared by streams:
   *  every search sets lastIndex first and runs synchronously. */
  search: RegExp;
  parts?: ReturnType<typeof parseTemplate>;
}

/** Per configured rule, once: not per rewritten response. */
const preparedRules = new WeakMap<RegExp, Map<string | null, Prepared>>();

function prepare(regex: RegExp, template: string | null): Prepared {
  let byTemplate = preparedRules.get(regex);
  if (!byTemplate) preparedRules.set(regex, (byTemplate = new Map()));
  let prepared = byTemplate.get(template);
  if (!prepared) {
    const flags = regex.flags.replace(/[gy]/g, '');
    prepared = { search: new RegExp(regex.source, flags + 'g') };
    if (template !== null) {
      const groups = new RegExp(`${regex.source}|`, flags).exec('')!.length - 1;
      prepared.parts = parseTemplate(template, groups);
    }
    byTemplate.set(template, prepared);
  }
  return prepared;
}

/** One rule's state over a stream of text. */
export class RuleStage {
  private readonly regex: RegExp;
  private readonly once: boolean;
  private readonly unicode: boolean;
  private readonly replacer: (match: RegExpExecArray, text: string) => string;
  private done = false;
  private context = '';
  private carry = '';

  constructor(rule: TextRule) {
    const flags = rule.regex.flags;
    this.once = !flags.includes('g');
    this.unicode = flags.includes('u') || flags.includes('v');
    const { replace, then } = rule;
    const prepared = prepare(rule.regex, typeof replace === 'string' ? replace : null);
    this.regex = prepared.search;
    let replacer: (match: RegExpExecArray, text: string) => string;
    if (typeof replace === 'function') replacer = (match) => replace(match);
    else {
      const parts = prepared.parts!;
      // The usual rule (an internal address to a gateway path) has no `$`: skip expanding per match.
      const literal = parts.every((part) => typeof part === 'string') ? parts.join('') : null;
      replacer = literal !== null ? () => literal : (match, text) => expand(parts, match, text);
    }
    this.replacer = then ? (match, text) => then(replacer(match, text)) : replacer;
  }

  /** Feeds text; returns what can be emitted now. `final` flushes everything. */
  push(text: string, final: boolean): string {
    if (this.done) {
      const out = this.carry + text;
      this.carry = '';
      return out;
    }
    // Small chunks are gathered first: each search rescans the held-back window.
    if (!final && this.carry.length + text.length < WINDOW + STEP) {
      this.carry += text;
      return '';
    }
    const buffer = this.context + this.carry + text;
    const start = this.context.length;
    const limit = final ? buffer.length : buffer.length - WINDOW;
    const regex = this.regex;
    regex.lastIndex = start;
    let position = start;
    let out = '';
    for (;;) {
      const match = regex.exec(buffer);
      if (!match || match.index > limit || (match.index === limit && !final)) break;
      out += buffer.slice(position, match.index) + this.replacer(match, buffer);
      position = match.index + match[0].length;
      if (match[0].length === 0) regex.lastIndex = advance(buffer, regex.lastIndex, this.unicode);
      if (this.once) {
        this.done = true;
        break;
      }
    }
    const cut = this.done ? buffer.length : Math.max(position, limit);
    out += buffer.slice(position, cut);
    this.carry = buffer.slice(cut);
    this.context = buffer.slice(Math.max(0, cut - CONTEXT), cut);
    return out;
  }
}

function advance(text: string, index: number, unicode: boolean): number {
  if (!unicode || index + 1 >= text.length) return index + 1;
  const code = text.charCodeAt(index);
  return code >= 0xd800 && code <= 0xdbff ? index + 2 : index + 1;
}

/** Runs rules in order over chunks of text: each rule's output feeds the next. */
export class TextPipeline {
  private readonly stages: RuleStage[];

  constructor(rules: readonly TextRule[]) {
    this.stages = rules.map((rule) => new RuleStage(rule));
  }

  push(text: string, final = false): string {
    let out = text;
    for (const stage of this.stages) out = stage.push(out, final);
    return out;
  }
}

/**
 * The rules as a body step: decoded (UTF-8 or the declared charset, never splitting a
 * character between chunks) and written back as UTF-8. Null when the charset is one this
 * runtime cannot decode: the body must then pass as is. A function instead of a charset
 * picks it from the first chunk (an HTML `<meta charset>`).
 */
export function substitutionStep(rules: readonly TextRule[], charset: string | ((head: Uint8Array) => string) = 'utf-8'): ByteStep | null {
  // ignoreBOM keeps a byte-order mark in the text, so it is written back out.
  const decoderFor = (label: string) => new TextDecoder(label, { fatal: false, ignoreBOM: true } as TextDecoderConstructorOptions);
  let decoder: TextDecoder | undefined;
  if (typeof charset === 'string') {
    try {
      decoder = decoderFor(charset);
    } catch {
      return null;
    }
  }
  const sniff = typeof charset === 'function' ? charset : undefined;
  const pipeline = new TextPipeline(rules);
  const decode = (chunk?: Uint8Array) => {
    if (!chunk) return decoder?.decode() ?? '';
    if (!decoder) {
      try {
        decoder = decoderFor(sniff!(chunk));
      } catch {
        decoder = decoderFor('utf-8');
      }
    }
    return decoder.decode(chunk, { stream: true });
  };
  return textStep(decode, (text, final) => pipeline.push(text, final));
}
