// The last step of an answer: what goes on its headers, what is counted, what is logged and how.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTrace, type Trace } from '../pipeline/trace.ts';
import { counters } from './counters.ts';
import { record, stampHeaders } from './finish.ts';
import { DEFAULT_OBSERVE, type Observe } from './settings.ts';

const request = new Request('https://gw.example/api/x?token=1', { method: 'PUT', headers: { host: 'gw.example' } });
const trace = (fields: Partial<Trace> = {}): Trace => ({ ...startTrace(), start: 1_000, id: 'req-1', ...fields });
const observe = (fields: Partial<Observe> = {}): Observe => ({ ...DEFAULT_OBSERVE, ...fields });

afterEach(() => vi.restoreAllMocks());

describe('stampHeaders', () => {
  it('sets the id in its header and appends Server-Timing unless it is off', () => {
    const headers = new Headers({ 'x-request-id': 'from-origin', 'server-timing': 'db;dur=5' });
    stampHeaders(headers, trace(), observe(), 1_004);
    expect(headers.get('x-request-id')).toBe('req-1');
    expect(headers.get('server-timing')).toBe('db;dur=5, gateway;dur=4');
    const quiet = new Headers();
    stampHeaders(quiet, trace(), observe({ serverTiming: false, requestId: { header: 'x-trace', trustIncoming: false } }), 1_004);
    expect([...quiet]).toEqual([['x-trace', 'req-1']]);
  });
});

describe('record', () => {
  it('logs one JSON string, the path without its query unless asked', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    record(request, trace(), observe(), 200, 10, 1_002);
    expect(log).toHaveBeenCalledTimes(1);
    const line = log.mock.calls[0]![0];
    expect(typeof line).toBe('string');
    expect(JSON.parse(line)).toMatchObject({ id: 'req-1', method: 'PUT', host: 'gw.example', path: '/api/x', status: 200, bytes: 10, ms: 2 });
    record(request, trace(), observe({ log: { requests: 'all', sample: 1, query: true } }), 200, 10, 1_002);
    expect(JSON.parse(log.mock.calls[1]![0]).path).toBe('/api/x?token=1');
  });

  it('logs an object on Cloudflare, where Workers Logs indexes its fields', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    record(request, trace({ cloudflare: true }), observe(), 404, null, 1_002);
    expect(log.mock.calls[0]![0]).toMatchObject({ id: 'req-1', status: 404, path: '/api/x' });
  });

  it('counts every answer but the status page, whose requests are only logged', () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const before = counters([]).all.requests;
    record(request, trace(), observe({ log: { requests: 'none', sample: 1, query: false } }), 500, null, 1_001);
    record(request, trace({ admin: true }), observe(), 200, null, 1_001);
    const after = counters([]);
    expect(after.all.requests).toBe(before + 1);
    expect(after.recentErrors[0]).toMatchObject({ id: 'req-1', status: 500, path: '/api/x', reason: 'the origin answered 500' });
  });
});
