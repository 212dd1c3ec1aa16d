// The gateway under test: the built bundle in bare workerd, configured per test file.
import { inject } from 'vitest';
import { startWorkerd, type RunningWorkerd, type WorkerdOptions } from '../../scripts/workerd.ts';

export type Gateway = RunningWorkerd;

/** `routes` becomes the ROUTES binding (undefined: the bundled routes.json). */
export function startGateway(routes: unknown, bindings: Record<string, unknown> = {}, options: Omit<WorkerdOptions, 'script' | 'bindings'> = {}): Promise<Gateway> {
  const all = routes === undefined ? bindings : { ROUTES: routes, ...bindings };
  return startWorkerd({ ...options, script: inject('bundle'), bindings: all });
}
