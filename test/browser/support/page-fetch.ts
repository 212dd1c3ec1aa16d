// fetch() run inside the page, so the browser's CORS rules decide what the test sees.
import type { Page } from 'playwright-core';

export interface PageFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  credentials?: 'omit' | 'same-origin' | 'include';
  redirect?: 'follow' | 'manual' | 'error';
}

export type PageFetchResult =
  | {
      ok: true;
      status: number;
      /** final URL after redirects */
      url: string;
      redirected: boolean;
      /** only what CORS lets the page read (safelisted + exposed), lower-case names */
      headers: Record<string, string>;
      body: string;
    }
  | { ok: false; error: string };

export function pageFetch(page: Page, url: string, init: PageFetchInit = {}): Promise<PageFetchResult> {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const response = await fetch(url, init as RequestInit);
        const headers: Record<string, string> = {};
        response.headers.forEach((value, name) => (headers[name] = value));
        return { ok: true as const, status: response.status, url: response.url, redirected: response.redirected, headers, body: await response.text() };
      } catch (error) {
        return { ok: false as const, error: String(error) };
      }
    },
    { url, init },
  );
}
