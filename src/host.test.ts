import { isIPv6 as nodeIsIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkHost, isIPv6 } from './host.ts';
import { splitTarget } from './url.ts';
import { seeded } from '../test/support/seeded.ts';


describe('checkHost', () => {
  it.each([
    'localhost',
    'localhost:8787',
    'api.example.com',
    'API.Example.COM:443',
    'example.com.',
    'my_host.internal',
    '127.0.0.1',
    '127.0.0.1:8787',
    '10.0.0.255:65535',
    'host:0',
    'host:08080',
    'host:59999',
    '[::1]',
    '[::1]:8787',
    '[2001:db8::8a2e:370:7334]',
    '[::ffff:192.0.2.1]:80',
    'xn--caf-dma.example',
    'a.b-c.d1',
    'a..b',
    "reg!$&'()*+;=name",
    'a%41b',
  ])('accepts %s', (host) => {
    expect(checkHost(host)).toBeNull();
  });

  it.each([
    ['x/api', /"\/"/],
    ['x/api?', /"\/"/],
    ['a b', /a space/],
    ['good example', /a space/],
    ['a, b', /more than one host/],
    ['good.example, evil.example', /more than one host/],
    ['a,b', /more than one host/],
    ['[::1', /no closing "\]"/],
    ['[::1]x', /follow its IP literal/],
    ['[::1]:x', /port/],
    ['', /empty/],
    ['x#y', /"#"/],
    ['x?y', /"\?"/],
    ['user@host', /"@"/],
    ['a\\b', /"\\"/],
    ['\x01x', /control character/],
    ['x\x7f', /control character/],
    ['café', /outside ASCII/],
    ['host:65536', /port/],
    ['host:99999', /port/],
    ['host:123456', /port/],
    ['host:', /port/],
    ['host:8a', /port/],
    ['host:+80', /port/],
    [':8787', /no host name/],
    ['::1', /brackets/],
    ['[v1.x]', /not an IPv6 address/],
    ['[fe80::1%25eth0]', /not an IPv6 address/],
    ['[1::2::3]', /not an IPv6 address/],
    ['[]', /not an IPv6 address/],
    ['999.1.1.1', /ends in a number/],
    ['1.2.3', /ends in a number/],
    ['1.2.3.4.5', /ends in a number/],
    ['1.2.3.4.', /ends in a number/],
    ['01.2.3.4', /ends in a number/],
    ['api.example.1', /ends in a number/],
    ['a.0x1f', /ends in a number/],
    ['a%zz', /malformed percent-escape/],
    ['a%2Fb', /percent-escape in it decodes/],
  ])('refuses %j', (host, reason) => {
    const problem = checkHost(host);
    expect(problem).toMatch(/^invalid Host header: /);
    expect(problem).toMatch(reason);
  });

  it('takes an xn-- label as the URL parser it runs on does (Node refuses bad punycode, workerd takes it)', () => {
    for (const host of ['xn--zz.example', 'XN--ZZ', 'xn--caf-dma.example', 'xn--a-']) {
      const problem = checkHost(host);
      if (URL.canParse(`http://${host}/`)) expect(problem, host).toBeNull();
      else expect(problem, host).toBe('invalid Host header: it holds a malformed internationalized (xn--) label');
    }
  });

  it('never echoes the host in its reason', () => {
    expect(checkHost('evil<script>.example')).not.toContain('evil');
    expect(checkHost('[::1]:secret')).not.toContain('secret');
  });

  it('accepts only hosts the URL parser takes, without the characters that would move the path or split a list', () => {
    const random = seeded(27);
    const alphabet = ['a', 'z', 'X', '0', '1', '9', '.', '-', '_', '~', ':', '[', ']', '%', '2f', '41', ',', ' ', '/', '?', '#', '@', '\\', '!', ';', '=', '\x00', '\t', 'é', 'xn--', '0x', '255', '256', '::', '65535'];
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      let host = '';
      const length = 1 + Math.floor(random() * 8);
      for (let j = 0; j < length; j++) host += alphabet[Math.floor(random() * alphabet.length)];
      if (checkHost(host) !== null) continue;
      accepted++;
      expect(host).not.toMatch(/[,\s/?#@\\\x00-\x1f\x7f-\uffff]/);
      expect(() => new URL(`http://${host}/`), host).not.toThrow();
      expect(splitTarget(`http://${host}/p?q`, host)).toEqual({ origin: `http://${host}`, path: '/p', query: '?q' });
      expect(splitTarget(`http://${host}/p?q`)).toEqual({ origin: `http://${host}`, path: '/p', query: '?q' });
    }
    expect(accepted).toBeGreaterThan(1000);
  });
});

describe('isIPv6', () => {
  it.each(['::', '::1', '1::', '1:2:3:4:5:6:7:8', '1::8', '1:2:3:4:5:6::8', '::2:3:4:5:6:7:8', '::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '::1.2.3.4', 'fe80::abcd'])(
    'accepts %s',
    (text) => expect(isIPv6(text)).toBe(true),
  );
  it.each(['', ':', ':1', '1:', ':::', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', '12345::', 'g::1', '1.2.3.4::', '1.2.3.4', '::1.2.3', '::256.1.1.1', 'fe80::1%eth0'])(
    'refuses %j',
    (text) => expect(isIPv6(text)).toBe(false),
  );
  it('agrees with node:net on random addresses', () => {
    const random = seeded(6);
    const parts = ['1', 'ab', 'ffff', '0', '12345', 'g', '1.2.3.4', '256.0.0.1', ''];
    for (let i = 0; i < 5000; i++) {
      const count = 1 + Math.floor(random() * 10);
      const text = Array.from({ length: count }, () => parts[Math.floor(random() * parts.length)]).join(':');
      expect(isIPv6(text), text).toBe(nodeIsIPv6(text));
    }
  });
});
