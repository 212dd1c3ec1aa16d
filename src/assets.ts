// Local files (Workers static assets, `[assets]` in wrangler.toml): served where no route
// claims the path, so a front end and the APIs it calls share one origin.
import { mimeOf } from './rewrite/body.ts';
import { siteCookieFor } from './sticky.ts';

interface AssetsBinding {
  fetch(request: Request): Promise<Response>;
}

/** The asset for this request, or null when there is none (the gateway then answers 404). */
export async function serveAsset(request: Request, env: Record<string, unknown>): Promise<Response | null> {
  const assets = env.ASSETS as AssetsBinding | undefined;
  if (!assets || (request.method !== 'GET' && request.method !== 'HEAD')) return null;
  let response: Response;
  try {
    response = await assets.fetch(request);
  } catch {
    // A path the assets service cannot look up names no file: the gateway's 404, not a failure.
    return null;
  }
  if (response.status === 404) return null;
  // A local page is not a mirrored site's: later root-relative requests are its own.
  const cookie = siteCookieFor(request, undefined, response.status, mimeOf(response.headers.get('content-type')));
  if (!cookie) return response;
  const marked = new Response(response.body, response);
  marked.headers.append('set-cookie', cookie);
  return marked;
}
