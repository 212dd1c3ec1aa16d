// The gateway under test: the built bundle in bare workerd, configured per test file.
import { inject } from 'vitest';
import { startWorkerd, type RunningWorkerd, type WorkerdOptions } from '../../scripts/workerd.ts';

export interface Gateway extends RunningWorkerd {
  /** the access log lines workerd printed so far, parsed (other output skipped) */
  logs(): Record<string, any>[];
  /** waits until a log line matches (the line is written as the answer leaves; the pipe may lag) */
  logFor(match: (line: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
}

/** `routes` becomes the ROUTES binding (undefined: the bundled routes.json). */
export async function startGateway(routes: unknown, bindings: Record<string, unknown> = {}, options: Omit<WorkerdOptions, 'script' | 'bindings'> = {}): Promise<Gateway> {
  const all = routes === undefined ? bindings : { ROUTES: routes, ...bindings };
  const running = await startWorkerd({ ...options, script: inject('bundle'), bindings: all });
  const logs = () =>
    running
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, any>);
  const logFor = async (match: (line: Record<string, any>) => boolean, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = logs().find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no log line matched within ${timeoutMs} ms; lines:\n${running.stdout()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { ...running, logs, logFor };
}
