// What the browser really sent, preflights included: Playwright's page.on('request') does
// not report preflights, CDP Network.requestWillBeSent does. CORS failures carry their reason.
import type { CDPSession, Page } from 'playwright-core';

export interface RecordedRequest {
  requestId: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  /** CDP resource type: 'Fetch', 'Document', 'Preflight', ... */
  type: string | undefined;
  status?: number;
  /** e.g. 'MissingAllowOriginHeader', from Network.loadingFailed corsErrorStatus */
  corsError?: string;
  failure?: string;
}

export interface NetworkLog {
  requests: RecordedRequest[];
  /** requests whose URL starts with `prefix` */
  to(prefix: string): RecordedRequest[];
  /**
   * The last request (or, with `preflight`, the last preflight) to `prefix` once its answer is
   * known: CDP may report the status a moment after the page has used the response.
   * Rejects after `timeoutMs` without one.
   */
  answered(prefix: string, options?: { preflight?: boolean; timeoutMs?: number }): Promise<RecordedRequest>;
  /**
   * The last request to `prefix` once it has failed (CDP reports the failure a moment after
   * the page's fetch() rejects); rejects after `timeoutMs` without one.
   */
  failure(prefix: string, timeoutMs?: number): Promise<RecordedRequest>;
  detach(): Promise<void>;
}

export async function recordNetwork(page: Page): Promise<NetworkLog> {
  const session: CDPSession = await page.context().newCDPSession(page);
  const requests: RecordedRequest[] = [];
  const byId = (id: string) => requests.findLast((r) => r.requestId === id);
  session.on('Network.requestWillBeSent', (event) => {
    requests.push({
      requestId: event.requestId,
      method: event.request.method,
      url: event.request.url,
      headers: event.request.headers as Record<string, string>,
      type: event.type,
    });
  });
  session.on('Network.responseReceived', (event) => {
    const request = byId(event.requestId);
    if (request) request.status = event.response.status;
  });
  session.on('Network.loadingFailed', (event) => {
    const request = byId(event.requestId);
    if (!request) return;
    request.failure = event.errorText;
    if (event.corsErrorStatus) request.corsError = event.corsErrorStatus.corsError;
  });
  await session.send('Network.enable');
  const isPreflight = (r: RecordedRequest) => r.type === 'Preflight' || (r.method === 'OPTIONS' && 'access-control-request-method' in lower(r.headers));
  return {
    requests,
    to: (prefix) => requests.filter((r) => r.url.startsWith(prefix)),
    answered: (prefix, { preflight = false, timeoutMs } = {}) =>
      settled(`answered ${preflight ? 'preflight' : 'request'} to ${prefix}`, timeoutMs, () =>
        requests.findLast((r) => r.url.startsWith(prefix) && isPreflight(r) === preflight && (r.status !== undefined || r.failure !== undefined))),
    failure: (prefix, timeoutMs) =>
      settled(`a failed request to ${prefix}`, timeoutMs, () => requests.findLast((r) => r.url.startsWith(prefix) && r.failure !== undefined)),
    detach: () => session.detach(),
  };
}

async function settled(what: string, timeoutMs = 5000, find: () => RecordedRequest | undefined): Promise<RecordedRequest> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
