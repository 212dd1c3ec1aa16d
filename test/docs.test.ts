// The docs cannot rot: every routes.json example in README.md and docs/*.md passes
// `npm run check` as written, every `npm run` names a real script, every relative link
// lands on a file and heading that exist, and the field tables of docs/configuration.md
// are what `npm run schema` generates from the schema's descriptions.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_DOC_FILE, renderConfigurationDoc, splitDefault } from '../scripts/docs.ts';
import { ROOT } from '../scripts/workerd.ts';

const NODE = join(ROOT, 'node_modules/.bin/node');
const CHECK = join(ROOT, 'scripts/check.ts');

const DOCS = [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => join(ROOT, 'docs', name))];

interface Block {
  lang: string;
  text: string;
  /** 1-based line of the opening fence */
  line: number;
}

/** Fenced code blocks (``` only, as these docs write them). */
function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(\S*)/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !/^\s*```\s*$/.test(lines[i]!)) body.push(lines[i]!);
    blocks.push({ lang: open[1]!, text: body.join('\n'), line: start + 1 });
  }
  return blocks;
}

/** The text with fenced code blocks blanked out (headings and links inside them are not real). */
function prose(markdown: string): string {
  return markdown.replace(/^\s*```[^\n]*\n[\s\S]*?^\s*```\s*$/gm, '');
}

/** jsonc → JSON: drops `//` comments outside strings (URLs in strings keep their `//`). */
function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (inString) {
      out += char;
      if (char === '\\') out += text[++i] ?? '';
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      out += char;
    } else if (char === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += char;
    }
  }
  return out;
}

/** A block as a whole routes config: a config as is, a route or a list of routes wrapped in one. */
function asConfig(value: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(value) && 'routes' in value) return value;
  if (isObject(value) && 'path' in value) return { routes: [value] };
  if (Array.isArray(value) && value.length && value.every((item) => isObject(item) && 'path' in item)) return { routes: value };
  return undefined;
}

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, text] of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(text!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count ? `${base}-${count}` : base);
  }
  return out;
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('docs', () => {
  it('holds the README and the docs/ pages', () => {
    const names = DOCS.map((file) => relative(ROOT, file));
    for (const name of ['README.md', 'docs/configuration.md', 'docs/recipes.md', 'docs/mirroring.md', 'docs/self-hosting.md', 'docs/security.md', 'docs/performance.md', 'docs/architecture.md']) {
      expect(names).toContain(name);
    }
  });

  it('docs/configuration.md has the field tables `npm run schema` generates', () => {
    const committed = readFileSync(CONFIG_DOC_FILE, 'utf8');
    expect(committed === renderConfigurationDoc(committed), 'docs/configuration.md is stale: run `npm run schema` and commit it').toBe(true);
    expect(committed).toMatch(/\| `timeout` \| integer ≥ 1 \| 30000 \|/);
  });

  it('takes a field\'s default out of its description into the default column', () => {
    expect(splitDefault('Seconds to wait. Default 600.')).toEqual({ meaning: 'Seconds to wait.', fallback: '600' });
    expect(splitDefault('Who may use it. Default: anyone. Refused requests get 403.')).toEqual({ meaning: 'Who may use it. Refused requests get 403.', fallback: 'anyone' });
    expect(splitDefault('Regex flags. Defaults to "g".')).toEqual({ meaning: 'Regex flags.', fallback: '"g"' });
    expect(splitDefault('Version 1.5 of it. Default 2.5.')).toEqual({ meaning: 'Version 1.5 of it.', fallback: '2.5' });
    expect(splitDefault('The Default header name.')).toEqual({ meaning: 'The Default header name.' });
  });

  it('every JSON block parses, and every routes example in them passes `npm run check`', () => {
    let examples = 0;
    for (const file of DOCS) {
      const name = relative(ROOT, file);
      const blocks = codeBlocks(readFileSync(file, 'utf8'));
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-docs-'));
      dirs.push(dir);
      // A doc's wrangler.toml snippets ([[ratelimits]] a route names) are part of its examples.
      const toml = blocks.filter((block) => block.lang === 'toml').map((block) => block.text);
      if (toml.length) writeFileSync(join(dir, 'wrangler.toml'), toml.join('\n\n') + '\n');
      const files: string[] = [];
      for (const block of blocks.filter((b) => b.lang === 'json' || b.lang === 'jsonc')) {
        let value: unknown;
        try {
          value = JSON.parse(block.lang === 'jsonc' ? stripComments(block.text) : block.text);
        } catch (error) {
          throw new Error(`${name}:${block.line}: the ${block.lang} block does not parse: ${(error as Error).message}`);
        }
        const config = asConfig(value);
        if (config === undefined) continue;
        const label = `${name.replace(/\W/g, '_')}-line-${block.line}.json`;
        writeFileSync(join(dir, label), JSON.stringify(config, null, 2));
        files.push(label);
      }
      if (!files.length) continue;
      examples += files.length;
      const { ROUTES: _ignored, ...env } = process.env;
      const run = spawnSync(NODE, [CHECK, ...files], { cwd: dir, env, encoding: 'utf8' });
      // A `${NAME}` may be a secret the doc tells you to set; a rate limit binding must be in the doc's wrangler.toml.
      const errors = run.stdout
        .split('\n')
        .filter((line) => /^\S.*: \d+ errors?/.test(line) || (line.startsWith('  ') && (!line.includes(': warning: ') || line.includes('rate limiting binding'))));
      expect(errors, `${name}: examples that fail npm run check:\n${run.stdout}`).toEqual([]);
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(run.stdout.match(/: OK \(/g)?.length, run.stdout).toBe(files.length);
    }
    expect(examples).toBeGreaterThanOrEqual(12);
  });

  it('every `npm run` names a script of package.json', () => {
    const scripts = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts);
    for (const file of DOCS) {
      for (const [, script] of readFileSync(file, 'utf8').matchAll(/npm run ([\w:-]+)/g)) {
        expect(scripts, `${relative(ROOT, file)}: npm run ${script}`).toContain(script);
      }
    }
  });

  it('every relative link lands on a file, and on a heading of it', () => {
    for (const file of DOCS) {
      const text = readFileSync(file, 'utf8');
      for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue;
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const linked = path ? resolve(dirname(file), path) : file;
        const where = `${relative(ROOT, file)} → ${target}`;
        expect(existsSync(linked), where).toBe(true);
        if (anchor) expect([...anchors(readFileSync(linked, 'utf8'))], where).toContain(anchor);
      }
    }
  });
});
