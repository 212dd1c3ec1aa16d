// The bodies the bench origin serves. Deterministic, so every run measures the same bytes.

/** ~1 KB of JSON, an API answer. */
export function json1k(): string {
  const items = Array.from({ length: 12 }, (_, i) => ({ id: i + 1, name: `item ${i + 1}`, price: (i + 1) * 3.5, tags: ['a', 'b'] }));
  return JSON.stringify({ ok: true, page: 1, items }).padEnd(1024, ' ');
}

const LOREM = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. ';

/** ~100 KB of HTML with no links to any origin: what pass-through and a no-op rewrite move. */
export function html100k(): string {
  let body = '';
  for (let i = 0; body.length < 100 * 1024 - 300; i++) body += `<p class="para" id="p${i}">${LOREM}${LOREM}</p>\n`;
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>100 KB</title></head><body>\n${body}</body></html>\n`;
}

/**
 * ~100 KB of HTML holding ~2,000 absolute links to `origin` (a wiki-like page: a long list of
 * articles, images and a few stylesheets), the case nginx `sub_filter` handles by plain string
 * replacement and switchyard must handle as HTML.
 */
export function links100k(origin: string, count = 2000): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 50 === 0) parts.push(`</ul>\n<h2 id="s${i}">Section ${i / 50}</h2>\n<ul>\n`);
    if (i % 10 === 9) parts.push(`<li><img src="${origin}/i/${i}.png"></li>\n`);
    else parts.push(`<li><a href="${origin}/w/${i}">${i}</a></li>\n`);
  }
  const head = `<!doctype html>\n<html><head><meta charset="utf-8"><title>Index</title>\n<link rel="stylesheet" href="${origin}/static/site.css">\n</head><body>\n<ul>\n`;
  return `${head}${parts.join('')}</ul>\n</body></html>\n`;
}

/** Number of origin URLs in a links100k page, to check a rewrite did all the work. */
export function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

export const STREAM_BYTES = 1024 ** 3;
