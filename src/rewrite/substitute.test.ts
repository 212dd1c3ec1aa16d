import { describe, expect, it } from 'vitest';
import { transformBytes } from './chunks.ts';
import { parseTemplate, substitutionStep, TextPipeline, WINDOW, type TextRule } from './substitute.ts';

/** Feeds `text` in pieces of `size` and returns the joined output. */
function run(rules: TextRule[], text: string, size: number): string {
  const pipeline = new TextPipeline(rules);
  let out = '';
  for (let i = 0; i < text.length; i += size) out += pipeline.push(text.slice(i, i + size));
  return out + pipeline.push('', true);
}

/** What a whole-text replace gives: the reference every chunking must equal. */
function whole(rules: TextRule[], text: string): string {
  return rules.reduce((acc, rule) => acc.replace(rule.regex, rule.replace as string), text);
}

describe('TextPipeline', () => {
  const rules: TextRule[] = [
    { regex: /http:\/\/10\.1\.2\.3/g, replace: '/intranet' },
    { regex: /(\w+)@example\.com/g, replace: '$1 at example' },
  ];
  const text = 'see http://10.1.2.3/a and http://10.1.2.3/b; mail bob@example.com. '.repeat(700);

  it('equals a whole-text replace for every chunk size', () => {
    const expected = whole(rules, text);
    for (const size of [1, 2, 3, 7, 64, 1000, 8191, 8192, 8193, 20000, text.length]) {
      expect(run(rules, text, size), `chunks of ${size}`).toBe(expected);
    }
  });

  it('finds a match split at any point across two chunks', () => {
    const body = 'x'.repeat(30000) + 'http://10.1.2.3/z' + 'y'.repeat(10000);
    for (let cut = 29990; cut <= 30020; cut++) {
      const pipeline = new TextPipeline(rules.slice(0, 1));
      const out = pipeline.push(body.slice(0, cut)) + pipeline.push(body.slice(cut)) + pipeline.push('', true);
      expect(out).toBe(body.replace('http://10.1.2.3', '/intranet'));
    }
  });

  it('finds matches up to the window size across chunks', () => {
    const long = 'a' + 'b'.repeat(WINDOW - 2) + 'c';
    const body = 'zz' + long + 'zz';
    expect(run([{ regex: /ab+c/g, replace: 'X' }], body, 1000)).toBe('zzXzz');
  });

  it('runs rules in order, each on the previous output', () => {
    expect(run([{ regex: /a/g, replace: 'b' }, { regex: /b/g, replace: 'c' }], 'ab', 1)).toBe('cc');
  });

  it('replaces only the first match without the g flag', () => {
    expect(run([{ regex: /a/, replace: 'X' }], 'a'.repeat(20000), 100)).toBe('X' + 'a'.repeat(19999));
  });

  it('keeps the preceding text as context for anchors and lookbehind', () => {
    const text = ('line one\nline two\n').repeat(2000);
    const rules: TextRule[] = [{ regex: /^line/gm, replace: 'LINE' }, { regex: /(?<=LINE )two/g, replace: '2' }, { regex: /\bne\b/g, replace: '!' }];
    expect(run(rules, text, 5)).toBe(whole(rules, text));
    expect(run([{ regex: /^line/g, replace: 'X' }], text, 5)).toBe(text.replace(/^line/g, 'X'));
  });

  it('handles empty matches like String.prototype.replace', () => {
    const rules: TextRule[] = [{ regex: /x*/g, replace: '-' }];
    expect(run(rules, 'abxxc', 1)).toBe('abxxc'.replace(/x*/g, '-'));
  });

  it('calls a function replacement with the match', () => {
    expect(run([{ regex: /(\d+)/g, replace: (m) => String(Number(m[1]) * 2) }], 'a1 b22', 1)).toBe('a2 b44');
  });
});

describe('parseTemplate', () => {
  it('reads $n, $nn, $<name>, $& and $$ as replace does', () => {
    const cases: [RegExp, string][] = [
      [/(a)(b)/g, '[$2$1$$$&]'],
      [/(a)/g, '$10'],
      [/(?<x>a)/g, '<$<x>>'],
      [/a/g, '$1 $< $'],
      // Templates without `$n`: written as they are, or (empty) deleting the match.
      [/a/g, 'plain'],
      [/ab/g, ''],
      [/a/g, '$$'],
      // The match alone, and the literal text `$&`.
      [/a/g, '$&'],
      [/a/g, '$$&'],
      [/a/g, "$`$'"],
    ];
    for (const [regex, template] of cases) {
      expect(run([{ regex, replace: template }], 'xaby', 1), template).toBe('xaby'.replace(regex, template));
    }
    expect(parseTemplate('$1', 0)).toEqual(['$1']);
  });
});

describe('substitute', () => {
  const bodyOf = (chunks: Uint8Array[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });

  async function through(rules: TextRule[], chunks: Uint8Array[], charset?: string): Promise<Buffer> {
    const out: Uint8Array[] = [];
    for await (const chunk of transformBytes(bodyOf(chunks), substitutionStep(rules, charset)!)) out.push(chunk);
    return Buffer.concat(out);
  }

  it('never splits a multibyte character between chunks', async () => {
    const bytes = Buffer.from('前缀 ünïcødé 🚀 http://10.1.2.3/路径 后缀');
    const chunks = Array.from(bytes, (byte) => Uint8Array.of(byte));
    const out = await through([{ regex: /http:\/\/10\.1\.2\.3/g, replace: '/intranet' }], chunks);
    expect(out.toString('utf8')).toBe('前缀 ünïcødé 🚀 /intranet/路径 后缀');
  });

  it('keeps a byte-order mark', async () => {
    const out = await through([{ regex: /a/g, replace: 'b' }], [Uint8Array.of(0xef, 0xbb, 0xbf, 0x61)]);
    expect([...out]).toEqual([0xef, 0xbb, 0xbf, 0x62]);
  });

  it('decodes a declared charset and writes UTF-8', async () => {
    const out = await through([{ regex: /caf./g, replace: '$&!' }], [Uint8Array.of(0x63, 0x61, 0x66, 0xe9)], 'iso-8859-1');
    expect(out.toString('utf8')).toBe('café!');
  });

  it('refuses a charset it cannot decode', () => {
    expect(substitutionStep([{ regex: /a/g, replace: 'b' }], 'x-no-such-charset')).toBe(null);
  });
});
