// What a person and a page see in Chromium: the status page rendered under its own strict CSP
// (a screenshot is left in test/browser/output/status.png, not committed), and Server-Timing
// and the request id read by a page on another origin through a CORS route.
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/workerd.ts';
import { closedPort, startOrigin, type Origin } from '../support/origin.ts';
import { launchBrowser, pageFetch, servePages, startWranglerDev, type BrowserHandle, type PageServer, type WranglerDev } from './support/index.ts';

const ADMIN_TOKEN = 'status-page-token-4e91';
const OUTPUT = join(ROOT, 'test/browser/output');

let api: Origin;
let hanging: Origin;
const held: http.ServerResponse[] = [];
let app: PageServer;
let gateway: WranglerDev;
let browser: BrowserHandle;

beforeAll(async () => {
  api = await startOrigin((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  hanging = await startOrigin((_req, res) => void held.push(res));
  app = await servePages();
  gateway = await startWranglerDev({
    routes: {
      admin: { auth: { type: 'bearer', credential: '${ADMIN_TOKEN}' } },
      routes: [
        { path: '/api', origin: api.url, cors: { origins: [app.url] } },
        { path: '/down', origin: `http://127.0.0.1:${await closedPort()}` },
        { path: '/hang', origin: hanging.url },
      ],
    },
    secrets: { ADMIN_TOKEN },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const res of held) res.destroy();
  await browser?.close();
  await gateway?.stop();
  await Promise.all([api?.close(), hanging?.close(), app?.close()]);
});

/** Everything the page reports as a problem: console errors (CSP violations among them) and page errors. */
function problems(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') seen.push(message.text());
  });
  page.on('pageerror', (error) => seen.push(String(error)));
  return seen;
}

describe('the status page in Chromium', () => {
  it('renders under its own CSP with no console errors, listing every route and its probes', async () => {
    const page = await browser.newPage();
    try {
      const reported = problems(page);
      await page.setExtraHTTPHeaders({ authorization: `Bearer ${ADMIN_TOKEN}` });
      const response = await page.goto(`${gateway.url}/_switchyard`, { waitUntil: 'load' });
      expect(response!.status()).toBe(200);
      expect(response!.headers()['content-security-policy']).toMatch(/default-src 'none'/);
      await expect(page.locator('h1')).toBeTruthy();
      const text = await page.locator('body').innerText();
      for (const route of ['/api', '/down', '/hang']) expect(text).toContain(route);
      expect(text).toContain('reachable');
      expect(text).toContain('unreachable');
      expect(text).toContain('no response headers within 3000 ms');
      expect(text).not.toContain(ADMIN_TOKEN);
      // The inline stylesheet applied: the CSP lets it in.
      expect(await page.locator('table').first().evaluate((table) => (globalThis as any).getComputedStyle(table).borderCollapse)).toBe('collapse');
      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: join(OUTPUT, 'status.png'), fullPage: true });
      expect(reported).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

describe('Server-Timing through a CORS route', () => {
  it('is readable by a page on another origin: in the response headers and in its resource timing', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${app.url}/`);
      const url = `${gateway.url}/api/data`;
      const res = await pageFetch(page, url);
      expect(res.ok).toBe(true);
      if (!res.ok) return;
      expect(res.headers['server-timing']).toMatch(/gateway;dur=\d+, origin;dur=\d+/);
      expect(res.headers['x-request-id']).toBeTruthy();
      // The DOM is not in this project's types: the page's globals are reached untyped.
      const entries: { name: string; duration: number }[] = await page.evaluate(
        (url) =>
          (globalThis as any).performance
            .getEntriesByName(url)
            .flatMap((entry: any) => entry.serverTiming.map((timing: any) => ({ name: timing.name, duration: timing.duration }))),
        url,
      );
      expect(entries.map((entry) => entry.name)).toEqual(['gateway', 'origin']);
      for (const entry of entries) expect(entry.duration).toBeGreaterThanOrEqual(0);
    } finally {
      await page.close();
    }
  });
});
