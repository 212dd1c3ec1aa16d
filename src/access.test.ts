import { describe, expect, it } from 'vitest';
import {
  checkContentLength,
  checkCredential,
  checkIp,
  compileAccess,
  constantTimeEqual,
  ipInRanges,
  limitBody,
  parseCidr,
  parseIp,
} from './access.ts';

const ranges = (...list: string[]) => list.map((text) => parseCidr(text)!);

describe('parseIp', () => {
  it.each([
    ['127.0.0.1', 4, 0x7f000001n],
    ['0.0.0.0', 4, 0n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['::1', 6, 1n],
    ['::', 6, 0n],
    ['2001:db8::8a2e:370:7334', 6, 0x20010db80000000000008a2e03707334n],
    ['[2001:db8::1]', 6, 0x20010db8000000000000000000000001n],
    ['fe80::1%eth0', 6, 0xfe800000000000000000000000000001n],
    ['::ffff:10.1.2.3', 4, 0x0a010203n],
    ['::ffff:a01:203', 4, 0x0a010203n],
    ['64:ff9b::1.2.3.4', 6, 0x0064ff9b000000000000000001020304n],
    ['1:2:3:4:5:6:7:8', 6, 0x00010002000300040005000600070008n],
  ])('%s', (text, version, value) => {
    expect(parseIp(text)).toEqual({ version, value });
  });

  it.each(['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.-4', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', '12345::', 'g::1', '', 'localhost', '::ffff:1.2.3.256'])(
    'rejects %s',
    (text) => {
      expect(parseIp(text)).toBeNull();
    },
  );
});

describe('parseCidr', () => {
  it('masks host bits and keeps the prefix length', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ version: 4, network: 0x0a000000n, bits: 8 });
    expect(parseCidr('2001:db8::1/32')).toEqual({ version: 6, network: 0x20010db8n << 96n, bits: 32 });
  });

  it('reads a bare address as a range of one', () => {
    expect(parseCidr('192.0.2.7')).toEqual({ version: 4, network: 0xc0000207n, bits: 32 });
    expect(parseCidr('::1')).toEqual({ version: 6, network: 1n, bits: 128 });
  });

  it('reads an IPv4-mapped IPv6 range as the IPv4 range', () => {
    expect(parseCidr('::ffff:10.0.0.0/104')).toEqual({ version: 4, network: 0x0a000000n, bits: 8 });
  });

  it.each(['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/-1', '10.0.0.0/a', '::ffff:10.0.0.0/95', 'x/8'])('rejects %s', (text) => {
    expect(parseCidr(text)).toBeNull();
  });
});

describe('ipInRanges', () => {
  it('matches at the edges of a range and not one past them', () => {
    const r = ranges('192.168.4.0/22');
    expect(ipInRanges('192.168.4.0', r)).toBe(true);
    expect(ipInRanges('192.168.7.255', r)).toBe(true);
    expect(ipInRanges('192.168.3.255', r)).toBe(false);
    expect(ipInRanges('192.168.8.0', r)).toBe(false);
  });

  it('handles /0 and /32, /128', () => {
    expect(ipInRanges('203.0.113.9', ranges('0.0.0.0/0'))).toBe(true);
    expect(ipInRanges('2001:db8::1', ranges('0.0.0.0/0'))).toBe(false);
    expect(ipInRanges('2001:db8::1', ranges('::/0'))).toBe(true);
    expect(ipInRanges('10.0.0.1', ranges('10.0.0.1/32'))).toBe(true);
    expect(ipInRanges('10.0.0.2', ranges('10.0.0.1/32'))).toBe(false);
    expect(ipInRanges('::1', ranges('::1/128'))).toBe(true);
    expect(ipInRanges('::2', ranges('::1/128'))).toBe(false);
  });

  it('matches IPv6 ranges on non-nibble boundaries', () => {
    const r = ranges('2001:db8:8000::/33');
    expect(ipInRanges('2001:db8:8000::1', r)).toBe(true);
    expect(ipInRanges('2001:db8:ffff:ffff::1', r)).toBe(true);
    expect(ipInRanges('2001:db8:7fff::1', r)).toBe(false);
  });

  it('lets an IPv4-mapped client address match an IPv4 range', () => {
    expect(ipInRanges('::ffff:127.0.0.1', ranges('127.0.0.0/8'))).toBe(true);
  });

  it('never matches an unknown or unparsable address', () => {
    expect(ipInRanges(null, ranges('0.0.0.0/0', '::/0'))).toBe(false);
    expect(ipInRanges('not-an-ip', ranges('0.0.0.0/0'))).toBe(false);
  });
});

describe('compileAccess / checkIp', () => {
  it('reports every bad range with its JSON path', () => {
    const problems: string[] = [];
    compileAccess({ allowIps: ['10.0.0.0/8', '300.1.1.1'], denyIps: ['::/200'] }, 'routes[2].access', problems);
    expect(problems).toEqual([
      'routes[2].access.allowIps[1]: is not an IPv4 or IPv6 address or CIDR range',
      'routes[2].access.denyIps[0]: is not an IPv4 or IPv6 address or CIDR range',
    ]);
    // ROUTES may be a secret: a message never repeats the value.
    expect(problems.join('\n')).not.toMatch(/300\.1\.1\.1|::\/200/);
  });

  it('lets deny win over allow and refuses what the allow list lacks', () => {
    const policy = compileAccess({ allowIps: ['10.0.0.0/8'], denyIps: ['10.6.6.0/24'] }, 'a', [])!;
    expect(checkIp(policy, '10.1.1.1')).toBeNull();
    expect(checkIp(policy, '10.6.6.6')).toContain('denied');
    expect(checkIp(policy, '11.0.0.1')).toContain('not in this route');
    expect(checkIp(policy, null)).toContain('not in this route');
  });

  it('allows everyone but the denied without an allow list', () => {
    const policy = compileAccess({ denyIps: ['2001:db8::/32'] }, 'a', [])!;
    expect(checkIp(policy, '2001:db8::5')).toContain('denied');
    expect(checkIp(policy, '2001:db9::5')).toBeNull();
    expect(checkIp(policy, null)).toBeNull();
  });
});

describe('checkCredential', () => {
  const bearer = { type: 'bearer' as const, credential: 's3cret-token' };
  const basic = { type: 'basic' as const, credential: 'alice:pä ss:word' };
  const basicHeader = (text: string) => `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(text)))}`;

  it('accepts the exact bearer token, scheme case-insensitively', async () => {
    expect(await checkCredential(bearer, 'Bearer s3cret-token')).toBe(true);
    expect(await checkCredential(bearer, 'bearer s3cret-token')).toBe(true);
  });

  it('refuses wrong, partial, longer, missing and other-scheme tokens', async () => {
    for (const header of ['Bearer s3cret-toke', 'Bearer s3cret-token2', 'Bearer ', 'Bearer', 's3cret-token', 'Basic s3cret-token', null]) {
      expect(await checkCredential(bearer, header)).toBe(false);
    }
  });

  it('accepts basic credentials with UTF-8 and colons in the password', async () => {
    expect(await checkCredential(basic, basicHeader('alice:pä ss:word'))).toBe(true);
    expect(await checkCredential(basic, basicHeader('alice:pä ss:wordX'))).toBe(false);
    expect(await checkCredential(basic, basicHeader('bob:pä ss:word'))).toBe(false);
    expect(await checkCredential(basic, 'Basic !!!not-base64')).toBe(false);
  });

  it('never accepts an empty credential against an empty configured one', async () => {
    expect(await checkCredential({ type: 'bearer', credential: '' }, null)).toBe(false);
  });
});

describe('constantTimeEqual', () => {
  it('compares whole arrays, lengths included', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false);
  });
});

describe('body size', () => {
  it('checks Content-Length up front', () => {
    expect(checkContentLength(10, '10')).toBe(true);
    expect(checkContentLength(10, '11')).toBe(false);
    expect(checkContentLength(10, null)).toBe(true);
  });

  const source = (chunks: number[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const size of chunks) controller.enqueue(new Uint8Array(size));
        controller.close();
      },
    });

  it('passes a body at the limit through whole', async () => {
    let exceeded = false;
    const text = await new Response(limitBody(source([4, 4, 2]), 10, () => (exceeded = true))).arrayBuffer();
    expect(text.byteLength).toBe(10);
    expect(exceeded).toBe(false);
  });

  it('errors the stream once the limit is passed', async () => {
    let exceeded = false;
    const read = new Response(limitBody(source([6, 6, 6]), 10, () => (exceeded = true))).arrayBuffer();
    await expect(read).rejects.toThrow(/exceeds 10 bytes/);
    expect(exceeded).toBe(true);
  });

  it('tells a body the client broke off from one the reader cancelled', async () => {
    let broken = 0;
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(3));
        controller.error(new Error('client went away'));
      },
    });
    const read = new Response(limitBody(failing, 10, () => {}, () => broken++)).arrayBuffer();
    await expect(read).rejects.toThrow(/client went away/);
    expect(broken).toBe(1);

    let cancelled: unknown;
    const endless = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new Uint8Array(1)),
      cancel: (reason) => void (cancelled = reason),
    });
    const reader = limitBody(endless, 100, () => {}, () => broken++).getReader();
    await reader.read();
    await reader.cancel('upstream gone');
    expect(cancelled).toBe('upstream gone');
    expect(broken).toBe(1);
  });
});
