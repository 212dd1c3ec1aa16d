// Guard stage: answers what must never reach the origin.
import type { GatewayError } from '../errors.ts';
import { isLoop } from '../headers.ts';
import type { Exchange } from './exchange.ts';

export async function guard(exchange: Exchange): Promise<Response | GatewayError | null> {
  const { request, gateway, route } = exchange;
  if (isLoop(request.headers, gateway.id)) {
    return { status: 508, reason: `request already passed through gateway "${gateway.id}" (CDN-Loop)`, route: route.path };
  }
  return null;
}
