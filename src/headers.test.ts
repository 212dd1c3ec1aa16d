import { describe, expect, it } from 'vitest';
import { filterAcceptEncoding, isLoop, stripHopByHop, upstreamRequestHeaders } from './headers.ts';

const context = { clientIp: '203.0.113.7', proto: 'https', clientHost: 'gw.example', prefix: '/api', gatewayId: 'switchyard', requestId: { header: 'x-request-id', id: 'f1d2' } };
const noOps = { set: [], remove: [] };

describe('upstreamRequestHeaders', () => {
  it('drops client-claimed forwarding headers and sets its own', () => {
    const incoming = new Headers({
      'x-forwarded-for': '6.6.6.6',
      'x-forwarded-host': 'evil',
      'x-forwarded-proto': 'gopher',
      'x-forwarded-prefix': '/evil',
      forwarded: 'for=6.6.6.6',
      'x-real-ip': '6.6.6.6',
      'cf-connecting-ip': '6.6.6.6',
      'cf-ray': 'abc',
      accept: 'text/plain',
    });
    const out = upstreamRequestHeaders(incoming, context, noOps);
    expect(out.get('x-forwarded-for')).toBe('203.0.113.7');
    expect(out.get('x-forwarded-host')).toBe('gw.example');
    expect(out.get('x-forwarded-proto')).toBe('https');
    expect(out.get('x-forwarded-prefix')).toBe('/api');
    expect(out.has('forwarded')).toBe(false);
    expect(out.has('x-real-ip')).toBe(false);
    expect(out.has('cf-connecting-ip')).toBe(false);
    expect(out.has('cf-ray')).toBe(false);
    expect(out.get('accept')).toBe('text/plain');
  });

  it('sends the request id in its header, in place of one the client sent', () => {
    const out = upstreamRequestHeaders(new Headers({ 'X-Request-Id': 'client-chosen', accept: '*/*' }), context, noOps);
    expect(out.get('x-request-id')).toBe('f1d2');
    const custom = upstreamRequestHeaders(new Headers({ 'x-trace': 'client-chosen' }), { ...context, requestId: { header: 'x-trace', id: 'abc' } }, noOps);
    expect(custom.get('x-trace')).toBe('abc');
  });

  it('strips hop-by-hop headers and those named in Connection', () => {
    const out = upstreamRequestHeaders(
      new Headers({ connection: 'keep-alive, x-secret-hop', 'keep-alive': '5', te: 'trailers', 'x-secret-hop': '1', 'proxy-authorization': 'x', upgrade: 'h2c' }),
      context,
      noOps,
    );
    for (const name of ['connection', 'keep-alive', 'te', 'x-secret-hop', 'proxy-authorization', 'upgrade']) expect(out.has(name)).toBe(false);
  });

  it('passes every other client header on as sent, repeated ones included', () => {
    const incoming = new Headers([
      ['accept', 'text/html'],
      ['accept', 'application/json'],
      ['cookie', 'a=1; b=2'],
      ['x-correlation-id', 'r1'],
      ['connection', 'keep-alive'],
    ]);
    const out = upstreamRequestHeaders(incoming, { ...context, clientIp: null, prefix: null }, noOps);
    expect([...out]).toEqual([
      ['accept', 'text/html, application/json'],
      ['cdn-loop', 'switchyard'],
      ['cookie', 'a=1; b=2'],
      ['via', '1.1 switchyard'],
      ['x-correlation-id', 'r1'],
      ['x-forwarded-host', 'gw.example'],
      ['x-forwarded-proto', 'https'],
      ['x-request-id', 'f1d2'],
    ]);
  });

  it('keeps Upgrade and Connection for WebSocket upgrades', () => {
    const out = upstreamRequestHeaders(new Headers({ connection: 'Upgrade', upgrade: 'websocket' }), context, noOps);
    expect(out.get('upgrade')).toBe('websocket');
  });

  it('appends Via and CDN-Loop, dropping Cloudflare loop entries', () => {
    const out = upstreamRequestHeaders(new Headers({ via: '1.1 other', 'cdn-loop': 'cloudflare; loops=1, fastly' }), context, noOps);
    expect(out.get('via')).toBe('1.1 other, 1.1 switchyard');
    expect(out.get('cdn-loop')).toBe('fastly, switchyard');
  });

  it('applies the route rules last', () => {
    const out = upstreamRequestHeaders(new Headers({ cookie: 'a=1', 'x-keep': '1' }), context, { set: [['authorization', 'Bearer t']], remove: ['cookie'] });
    expect(out.get('authorization')).toBe('Bearer t');
    expect(out.has('cookie')).toBe(false);
    expect(out.get('x-keep')).toBe('1');
  });

  it('filters Accept-Encoding to what the runtime decodes', () => {
    expect(filterAcceptEncoding('gzip, deflate, br, zstd')).toBe('gzip, br');
    expect(filterAcceptEncoding('zstd')).toBeNull();
    const out = upstreamRequestHeaders(new Headers({ 'accept-encoding': 'zstd, deflate' }), context, noOps);
    expect(out.has('accept-encoding')).toBe(false);
  });
});

describe('isLoop', () => {
  it('finds the gateway id as a CDN-Loop list member', () => {
    expect(isLoop(new Headers({ 'cdn-loop': 'fastly, switchyard; x=1' }), 'switchyard')).toBe(true);
    expect(isLoop(new Headers({ 'cdn-loop': 'switchyard-2' }), 'switchyard')).toBe(false);
    expect(isLoop(new Headers(), 'switchyard')).toBe(false);
  });
});

describe('stripHopByHop', () => {
  it('removes transfer-encoding and trailer', () => {
    const headers = new Headers({ 'transfer-encoding': 'chunked', trailer: 'x', 'content-type': 'a/b' });
    stripHopByHop(headers);
    expect([...headers.keys()]).toEqual(['content-type']);
  });
});
