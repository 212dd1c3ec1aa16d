// Pages for the differential rewriter test: seeded random pages built from the markup real
// sites are made of (every URL-bearing place, every quoting style, SVG, scripts with HTML
// in strings, comments, raw text elements, multibyte text), plus edge cases by hand.

/** mulberry32: small, seedable, good enough to vary pages. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const ORIGIN = 'http://o.test';
export const OTHER = 'https://b.test/base';
export const ROUTES = {
  routes: [
    { path: '/site', origin: ORIGIN },
    { path: '/b', origin: OTHER },
    { path: '/b-raw', origin: 'https://b.test/raw', stripPrefix: false },
    // The only route at its origin, with a base path: the tokenizer maps its URLs itself.
    { path: '/c', origin: 'http://c.test/base' },
    // Not sticky: its URLs outside the base path stay as they are.
    { path: '/n', origin: 'http://n.test/base', sticky: false },
  ],
};
/** A page of a sticky route with a base path: its root-relative URLs may lie outside every base path. */
export const BASE_PAGE_URL = 'http://c.test/base/dir/page.html';
export const PAGE_URL = `${ORIGIN}/dir/page.html`;

const URLS = [
  `${ORIGIN}/w/Article`, `${ORIGIN}/`, `${ORIGIN}`, `${ORIGIN}/q?x=1&amp;y=2#f`, `${ORIGIN}/q?x=1&y=2`, `${OTHER}/x/y.png`, `${OTHER}`,
  'https://b.test/other', 'https://b.test/raw/z', '//o.test/proto', '//b.test/base/proto', '/root/path', '/', '/img/a%20b.png', 'rel/path.html',
  '../up.html', './here', '#top', '?page=2', '', ' /spaced ', 'http://foreign.test/x', 'https://foreign.test/', 'HTTP://O.TEST/Upper',
  'http://o.test:80/port', 'http://o.test:8080/other-port', '/a/../b', '/%2e%2e/x', '/.well-known/x', 'mailto:a@o.test',
  'javascript:void(0)', 'data:image/png;base64,AAAA', 'tel:+100', `${ORIGIN}/é/ü?q=ß`, `${ORIGIN}/path with space`, 'http://127.0.0.1/x',
  `${ORIGIN}/x?'quote'`, `${ORIGIN}/x#frag`, `/x?`, `/x#`, '\\\\o.test\\back', `${ORIGIN}/"dq"`, `${ORIGIN}/a&lt;b`,
  'https://b.test/style/s.css?v=1#x', 'https://b.test', 'https://b.test/basement', '//b.test/other?', '/base/in', '/style/s.css', 'http://n.test/base/x', 'http://n.test/other',
  'http://c.test/base/in?q#h', 'http://c.test/style/s.css?v=1#x', 'http://c.test', '//c.test/basement', 'http://c.test/x?',
];
const TEXT = ['Hello', 'naïve café', '日本語のテキスト', 'emoji 🎉 here', 'a &amp; b &lt; c', 'x > y', 'price: 5 €', '"quoted"', "it's", 'a<b'];
const CSS_URLS = (pick: <T>(list: readonly T[]) => T) => {
  const url = pick(URLS.filter((u) => !/["'()\\\s]/.test(u)));
  return pick([`url(${url})`, `url("${url}")`, `url('${url}')`, `url( ${url} )`, `@import "${url}"`, `@import url(${url})`, `image-set("${url}" 1x, url(${url}) 2x)`, `-webkit-image-set('${url}' type("image/avif"))`]);
};

export function generatePage(seed: number, parts = 40): string {
  const next = random(seed);
  const pick = <T,>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const chance = (p: number) => next() < p;
  const caseOf = (name: string) => (chance(0.1) ? name.toUpperCase() : name);
  const ws = () => pick([' ', ' ', ' ', '  ', '\n  ', '\t', '\r\n', ' \n']);
  const quoteValue = (value: string): string => {
    const style = next();
    if (style < 0.6 || (value.includes('"') && value.includes("'"))) return `"${value.replaceAll('"', '&quot;')}"`;
    if (style < 0.8 || /[\s"'=<>`]/.test(value) || value === '') return `'${value.replaceAll("'", '&#39;')}'`;
    return value;
  };
  const attr = (name: string, value: string | null) => {
    if (value === null) return `${ws()}${caseOf(name)}`;
    const eq = chance(0.1) ? ' = ' : '=';
    return `${ws()}${caseOf(name)}${eq}${quoteValue(value)}`;
  };
  const extras = () => (chance(0.4) ? attr(pick(['class', 'id', 'title', 'data-x', 'rel', 'alt']), pick(TEXT.filter((t) => !t.includes('<')))) : '') + (chance(0.1) ? attr('hidden', null) : '');
  const end = () => (chance(0.1) ? pick(['/>', ' />', ' >']) : '>');
  const tag = (name: string, attributes: string) => `<${caseOf(name)}${attributes}${extras()}${end()}`;
  const srcset = () => Array.from({ length: 1 + Math.floor(next() * 3) }, (_, i) => `${pick(URLS.filter((u) => !/[\s,]/.test(u)))} ${i + 1}x`).join(pick([', ', ',', ' , ']));
  const style = () => `background:${CSS_URLS(pick)};color:red`;

  const fragments: (() => string)[] = [
    () => `${tag('a', attr('href', pick(URLS)))}${pick(TEXT)}</a>`,
    () => `<li>${tag('a', attr('href', pick(URLS)) + (chance(0.3) ? attr('href', pick(URLS)) : ''))}${pick(TEXT)}</a></li>\n`,
    () => tag('img', attr('src', pick(URLS)) + (chance(0.4) ? attr('srcset', srcset()) : '') + attr('alt', '')),
    () => tag('link', attr('rel', pick(['stylesheet', 'preload', 'icon'])) + attr('href', pick(URLS)) + (chance(0.5) ? attr('integrity', 'sha384-abc') : '') + (chance(0.2) ? attr('imagesrcset', srcset()) : '')),
    () => `${tag('script', attr('src', pick(URLS)) + (chance(0.5) ? attr('integrity', 'sha384-abc') : ''))}</script>`,
    () => `<script>var u = "${pick(URLS)}"; document.write('<a href="${pick(URLS)}">x</a>'); if (a < b && c > d) {}</script>`,
    () => `<script><!--\nvar s = '<script>' + "</script>"; // <a href="/in-script">\n//--></script>`,
    () => `<script type="application/ld+json">{"url": "${ORIGIN}/ld"}</script>`,
    () => `<style>${pick(['body', '.x', '#y'])} { ${style()} }\n.y{${CSS_URLS(pick)}}</style>`,
    () => `<div${attr('style', style())}${extras()}>${pick(TEXT)}</div>`,
    () => `<p${extras()}>${pick(TEXT)} ${pick(TEXT)}</p>\n`,
    () => `<!-- ${pick(['comment', `<a href="${ORIGIN}/commented">`, '-- dashes --', ''])} -->`,
    () => pick(['<!---->', '<!-->', '<!--->', '<!-- x --!>', '<!doctype html>', '<?xml version="1.0"?>', '<![CDATA[ x ]]>', '</>', '< not a tag', '<3']),
    () => `<textarea>${pick([`<a href="${ORIGIN}/in-textarea">`, pick(TEXT)])}</textarea>`,
    () => `<title>${pick([`<a href="${ORIGIN}/in-title">`, pick(TEXT)])}</title>`,
    () => `<noscript>${tag('img', attr('src', pick(URLS)))}</noscript>`,
    () => `<iframe${attr('src', pick(URLS))}></iframe>`,
    () => `<form${attr('action', pick(URLS))}><input${attr('type', 'image')}${attr('src', pick(URLS))}${attr('formaction', pick(URLS))}><button${attr('formaction', pick(URLS))}>Go</button></form>`,
    () => `<video${attr('poster', pick(URLS))}${attr('src', pick(URLS))}><source${attr('src', pick(URLS))}${attr('srcset', srcset())}><track${attr('src', pick(URLS))}></video>`,
    () => `<object${attr('data', pick(URLS))}></object><blockquote${attr('cite', pick(URLS))}>${pick(TEXT)}</blockquote>`,
    () => `<meta${attr('http-equiv', pick(['refresh', 'Refresh', 'content-type']))}${attr('content', pick(['0; url=', '5;URL=', "3; url='", '0,']) + pick(URLS))}>`,
    () =>
      `<meta${attr('http-equiv', pick(['Content-Security-Policy', 'content-security-policy ', 'content-security-policy-report-only']))}${attr(
        'content',
        `${pick(['img-src', 'script-src', "default-src 'self'; style-src", 'sandbox'])} ${pick(['o.test', 'https://b.test', "'none'", ''])} ${pick(URLS)}${pick(['', `; report-uri ${pick(URLS)}`, ', img-src o.test'])}`,
      )}>`,
    () =>
      `<svg${attr('viewBox', '0 0 10 10')}>${pick([
        `<use${attr('xlink:href', pick(URLS))}/>`,
        `<a${attr('href', pick(URLS))}><text>${pick(TEXT)}</text></a>`,
        `<image${attr('href', pick(URLS))}/>`,
        `<style>.c{${CSS_URLS(pick)}}</style>`,
        `<title><a${attr('href', pick(URLS))}>t</a></title>`,
        `<foreignObject><textarea><a href="${ORIGIN}/fo"></textarea></foreignObject>`,
        `<![CDATA[ <a href="${ORIGIN}/cdata"> ]]>`,
        `<p><title><a href="${ORIGIN}/breakout"></title>`,
      ])}</svg>`,
    () => `<math><mi><textarea><a href="${ORIGIN}/mi"></textarea></mi></math>`,
    () => `<table><tr><td${attr('style', style())}>${tag('a', attr('href', pick(URLS)))}x</a></td></tr></table>`,
    () => `<template>${tag('a', attr('href', pick(URLS)))}t</a></template>`,
    () => `<a${attr('href', pick(URLS))}/${ws()}class=x>slash</a><a href${ws()}>novalue</a><a x= href="${ORIGIN}/eq">eq</a>`,
  ];

  let html = chance(0.8) ? '<!doctype html>\n<html><head><meta charset="utf-8">\n' : '';
  if (chance(0.2)) html += `<base${attr('href', pick([`${ORIGIN}/other/`, `${OTHER}/`, '/sub/', 'https://foreign.test/']))}>`;
  for (let i = 0; i < parts; i++) html += pick(fragments)();
  if (chance(0.1)) html += pick(['<style>a{b:url(/unclosed)}', '<script>var x = 1', '<!-- unclosed', '<a href="/unclosed"', '<plaintext><a href="/pt">']);
  return html;
}

const MUTATIONS = ['<', '>', '"', "'", '=', '/', ' ', '\n', '!', '-', '?', 'a', 'script', '<svg>', '</svg>', '<!--', '-->', '<style>', '</style>',
  '<title>', '</title>', 'href=', 'src=', '<a href="/x">', '&', ';', '\0', '\r', '<math>', '</p>', '<![CDATA[', ']]>', 'style="url(/y)"', '<base href="/b/">'];

/** A page broken in a few random places (inserted markup, cut or doubled ranges): malformed HTML, as the web has. */
export function mutatePage(html: string, seed: number): string {
  const next = random(seed);
  const count = 1 + Math.floor(next() * 6);
  for (let m = 0; m < count; m++) {
    const at = Math.floor(next() * html.length);
    const op = next();
    if (op < 0.6) html = html.slice(0, at) + MUTATIONS[Math.floor(next() * MUTATIONS.length)] + html.slice(at);
    else if (op < 0.85) html = html.slice(0, at) + html.slice(at + 1 + Math.floor(next() * 20));
    else html = html.slice(0, at) + html.slice(at, at + Math.floor(next() * 40)) + html.slice(at);
  }
  return html;
}

/** Hand-picked edge cases, each learned from what lol-html does. */
export const EDGE_CASES: string[] = [
  '<a  class=x   href=\'http://o.test/x\'  id = "y" >spacing and quotes are re-serialized</a>',
  '<A HREF=http://o.test/x TITLE=t>upper case kept</A>',
  '<img src="http://o.test/x"/><img/src="http://o.test/y">',
  '<a href=\'http://o.test/x"y\'>dq in value</a><div style=\'background:url("http://o.test/x?a&b")\'>&quot;</div>',
  '<a href="/abs" href="/second" HREF="/third">duplicates: first wins</a>',
  '<script src="http://o.test/s.js" integrity="sha-1"></script><SCRIPT SRC=/s INTEGRITY=x></SCRIPT>',
  '<script><!--<script>x</script><a href="/dbl"></script><a href="/after">',
  '<script><!-- x </script><a href="/esc">',
  '<style>x{a:url(/1)}</stylex>y{b:url(/2)}</STYLE ><a href="/after">',
  '<!--><a href="/c1"><!---><a href="/c2"><!-- x --!><a href="/c3">',
  '<svg/><title><a href="/aftersvgself"></title>',
  '<svg><font color=red><title><a href="/fontbreak"></title>',
  '<svg><font><title><a href="/fontnobreak"></title></svg>',
  '<math><annotation-xml encoding="text/html"><textarea><a href="/ax"></textarea></annotation-xml></math>',
  '<svg><desc><style>a{b:url(/d)}</style><textarea><a href="/desc"></textarea></desc></svg>',
  '<p title="<a href=\'/inattr\'>">x</p><a href="/after">',
  '<a\rhref="/cr"\rclass=x>cr</a><a href=/cr2\rclass=x>cr2</a>',
  '<a href="/x" =y>eq-start</a><a href=/y/>unq-slash</a><a href="/x"/ class=y>slash-mid</a>',
  '<base href="http://o.test/other/"><a href="/x">b</a><base href="/ignored/"><a href="x">rel</a>',
  '<meta http-equiv="Refresh" content="0; url=http://o.test/r">',
  `<meta http-equiv="Content-Security-Policy" content="img-src http://o.test 'nonce-&quot;x&quot;'; report-uri /csp">`,
  '<iframe><a href="/if"></iframe><xmp><a href="/xmp"></xmp><noembed><a href="/ne"></noembed><noframes><a href="/nf"></noframes><a href="/after">',
  '\uFEFF<a href="/bom">byte order mark</a>',
  '<a href="/eof"',
  '<style>a{b:url(/eof)}',
  '<script src="http://o.test/s.js" integrity=a integrity="b" INTEGRITY=c></script>',
  '<svg><svg><p><title><a href="/x"></title></svg><p><title><a href="/y"></title>',
  '<svg><style><![CDATA[@import "/"; a{b:url(http://o.test/c)}]]></style></svg><svg><style><![CDATA[@import "/eof"',
  '<svg><svg/></svg><textarea><a href=http:></textarea>',
  '<svg><foreignObject></title><textarea><a href=/></textarea><math><mi></mo><textarea><a href=/></textarea><math><mi></div><textarea><a href=/>',
  '<svg><style>a{b:url(/eof)}',
  '<track SRC="http://o.test/t" src=><img src=/x alt = >',
  '<svg><title></svg></title><style><img\tsrc=http:></style><svg><foreignObject></svg><style><a href="/x"></style>',
  '<math></p><title><a href=http:></title><svg><svg></br><title><a href="/x"></title></p><title><a href="/y"></title>',
  '<math><svg><p><title><a href="/x"></title><svg><foreignObject><svg><p><title><a href="/z"></title>',
  '<svg><title/><textarea><a href="/x"></textarea><math><mi/><textarea><a href="/y"></textarea>',
  '<textarea>🎉🎉🎉🎉🎉🎉🎉🎉</textarea><!-- 🎉🎉🎉🎉🎉🎉 --><script>"🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉"</script><a href="/after">',
];
