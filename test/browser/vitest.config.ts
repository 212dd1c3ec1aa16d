// The browser suite: Debian Chromium against the gateway under `wrangler dev`.
// Files run one after another: each starts a browser and a wrangler dev of its own.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
