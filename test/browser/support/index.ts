// Browser test harness (stable API; also used by test/browser/mirror.test.ts):
//
//   launchBrowser(): Promise<{ context, newPage(), close() }>
//       Debian /usr/bin/chromium (override: SWITCHYARD_CHROMIUM), headless, fresh profile.
//   servePages({ '/path': html | { body, type } }): Promise<{ url, port, close() }>
//       Static pages on their own 127.0.0.1 port ('/' is an empty page by default).
//   startWranglerDev({ routes?, vars?, secrets?, ratelimits? }): Promise<{ url, port, output(), stop() }>
//       The gateway (src/index.ts) under `wrangler dev` on 127.0.0.1 with a temp wrangler.toml;
//       routes → ROUTES var, secrets → .dev.vars, ratelimits → [[ratelimits]] bindings.
//   recordNetwork(page): Promise<{ requests, to(prefix), answered(prefix, { preflight?, timeoutMs? }), failure(prefix, timeoutMs?), detach() }>
//       Every request the browser sent (CDP Network.requestWillBeSent), preflights included,
//       with status and corsError (CDP corsErrorStatus) when known; answered() and failure()
//       wait for the last request (or preflight) to prefix to be answered, or to have failed
//       (CDP reports both a moment after the page has the response).
//   pageFetch(page, url, init?): Promise<{ ok: true, status, url, redirected, headers, body } | { ok: false, error }>
//       fetch() inside the page: the browser's CORS rules decide what comes back.
//   freePort(): Promise<number>
//
// Origins: use test/support/origin.ts (startOrigin) on 127.0.0.1. Use 127.0.0.1 everywhere,
// never localhost: they are different sites for cookies.
export { launchBrowser, CHROMIUM, type BrowserHandle } from './browser.ts';
export { servePages, type PageServer } from './page-server.ts';
export { startWranglerDev, freePort, type WranglerDev, type WranglerDevOptions, type RateLimitBinding } from './wrangler.ts';
export { recordNetwork, type NetworkLog, type RecordedRequest } from './network.ts';
export { pageFetch, type PageFetchInit, type PageFetchResult } from './page-fetch.ts';
