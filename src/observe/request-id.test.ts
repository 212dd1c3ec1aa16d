import { describe, expect, it } from 'vitest';
import { requestId, validId } from './request-id.ts';

const settings = (trustIncoming: boolean) => ({ header: 'x-request-id', trustIncoming });
const withId = (value: string, extra: Record<string, string> = {}) => new Request('https://gw.example/', { headers: { 'x-request-id': value, ...extra } });

describe('request ids', () => {
  it('accept 1-128 characters of visible ASCII only', () => {
    expect(validId('a')).toBe(true);
    expect(validId('!~"\\'.repeat(32))).toBe(true);
    expect(validId('x'.repeat(129))).toBe(false);
    expect(validId('')).toBe(false);
    expect(validId(null)).toBe(false);
    expect(validId('a b')).toBe(false);
    expect(validId('a\tb')).toBe(false);
    expect(validId('café')).toBe(false);
    expect(validId('a\u007fb')).toBe(false);
  });

  it("keep a client's id only when trusted and valid", () => {
    expect(requestId(withId('order-1'), settings(true), false)).toEqual({ id: 'order-1', fromClient: true });
    expect(requestId(withId('order-1'), settings(false), false).id).not.toBe('order-1');
    const replaced = requestId(withId('x'.repeat(200)), settings(true), false);
    expect(replaced).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), fromClient: false });
  });

  it('use the ray id on Cloudflare, where the edge sets it, and never a client-sent one elsewhere', () => {
    const request = withId('ignored', { 'cf-ray': '8f3c2a1b9c0d1234-SJC' });
    expect(requestId(request, settings(false), true)).toEqual({ id: '8f3c2a1b9c0d1234-SJC', fromClient: false });
    expect(requestId(request, settings(false), false).id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
