// Builds the Worker once per test run, as `wrangler deploy` would bundle it, into a
// folder of the run's own (parallel runs must not overwrite each other's bundle).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { build } from '../../scripts/workerd.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    bundle: string;
  }
}

export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-build-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    project.provide('bundle', build(dir));
  } catch (error) {
    remove();
    throw error;
  }
  return remove;
}
