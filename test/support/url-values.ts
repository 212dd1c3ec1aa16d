// URL values, bases and a route table that exercise every branch of the string URL mappers
// (fast-url.ts, and the tokenizer's own in html-tokenizer.c): both must equal the parser.
import { compileConfig } from '../../src/config/compile.ts';
import { linkTable } from '../../src/rewrite/links.ts';

function tableOf(routes: unknown[]) {
  const compiled = compileConfig({ routes }, {});
  if (!compiled.ok) throw new Error(compiled.problems.join('\n'));
  return linkTable(compiled.gateway);
}

export const table = tableOf([
  { path: '/site', origin: 'http://127.0.0.1:8080' },
  { path: '/api', origin: 'https://api.example.com/v1' },
  { path: '/full', origin: 'https://api.example.com/v1/full', stripPrefix: false },
  { path: '/', origin: 'http://o.test' },
  { path: '/plain', origin: 'https://o.test' },
  { path: '/one', origin: 'http://one.test/base' },
  { path: '/raw', origin: 'http://raw.test/base', stripPrefix: false },
  // Several routes on one origin: the first wins a tie, and one that keeps its prefix only
  // serves the paths under it.
  { path: '/site2', origin: 'http://127.0.0.1:8080' },
  { path: '/two', origin: 'http://two.test' },
  { path: '/t2', origin: 'http://two.test' },
  { path: '/keep', origin: 'http://keep.test', stripPrefix: false },
  { path: '/k2', origin: 'http://keep.test' },
  // ...and the longest base wins over the first route.
  { path: '/short', origin: 'http://mixed.test' },
  { path: '/long', origin: 'http://mixed.test/deep' },
  // Outside every base path: kept as a root-relative path only where a sticky route serves it.
  { path: '/ns', origin: 'http://ns.test/base', sticky: false },
  { path: '/nsraw', origin: 'http://nsraw.test/base', stripPrefix: false, sticky: false },
  { path: '/half1', origin: 'http://half.test/a', sticky: false },
  { path: '/half2', origin: 'http://half.test/b' },
  { path: '/', host: 'cab.example', origin: 'http://cab.test/base' },
]);

const hosts = ['one.test', 'raw.test', 'ns.test', 'nsraw.test', 'half.test', 'cab.test', 'two.test', 'keep.test', 'mixed.test', '127.0.0.1:8080', '127.0.0.1', '127.1:8080', '127.0.1:8080', '127.0.0.0x1:8080', '0x7f.0.0.1:8080', '127.0.0.1.:8080', 'api.example.com', 'API.example.com',
  'api.example.com:443', 'api.example.com:0443', 'o.test', 'o.test:80', 'o.test:', 'o.test.', 'user@o.test', 'other.test', 'xn--nxasmq6b.test',
  'exämple.test', '[::1]', '', 'o.test:99999', '1.2.3.256'];
const rests = ['', '/', '/x', '/a/x', '/b', '/base/nsraw/x', '/keep', '/keep/x', '/deep', '/deep/x', '/base', '/base/', '/base/x?q#h', '/basement', '/base/raw/y', '/raw', '/v1', '/v1/', '/v1/users?id=1#top', '/v1/full/a', '/v1x', '/a/../b', '/a/./b', '/%2e%2E/x', '/.well-known/x',
  '/a b', '/a\tb', '/é', "/q?a='b'", '/q?a="b"', '/x?', '/x#', '/x?#', '?q=1', '#frag', '/a\\b', '/%zz', '/%4', '/x%', '/x%a', '/%41', '/x?y=/../z', '/{x}', '/a|b',
  '/a;b=c/d:e@f', '/~user/', '/x?y#z#w', '/x#a#', '/x?#h#', '/p/x?/./#/../'];
const prefixes = ['http://', 'https://', '//', 'HTTP://', 'Https://', 'http:', 'http:/', 'http:\\\\', '\\\\', 'ftp://', '/\\'];

export const values: string[] = ['', ' ', '#top', '?q', 'relative/path', './x', '../x', 'mailto:a@b.test', 'javascript:alert(1)', 'data:text/html,x',
  'tel:+1', 'http', 'https:x', ' /x', '/x ', '\n/x', '/x\n', '//', '///x', '/', 'h', 'http://', 'https://'];
for (const prefix of prefixes) for (const host of hosts) for (const rest of rests) values.push(prefix + host + rest);
for (const rest of rests) values.push(rest.startsWith('/') ? rest : `/${rest}`);

export const bases = ['http://127.0.0.1:8080/dir/page.html', 'https://api.example.com/v1/docs/', 'http://one.test/base/dir/', 'http://ns.test/base/x', 'http://half.test/b/', 'http://cab.test/base/', 'http://o.test/', 'https://elsewhere.test/x', 'https://o.test/a?b#c'];
