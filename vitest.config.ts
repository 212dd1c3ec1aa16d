import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [
    {
      // `import module from './x.wasm'` gives a compiled module, as wrangler's CompiledWasm does.
      name: 'compiled-wasm',
      enforce: 'pre',
      load(id) {
        if (!id.endsWith('.wasm')) return null;
        return `import { readFileSync } from 'node:fs';\nexport default new WebAssembly.Module(readFileSync(${JSON.stringify(id)}));`;
      },
    },
  ],
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/browser/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
