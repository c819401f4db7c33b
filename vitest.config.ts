import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The end-to-end tests run dist/: build it first whenever src/ changed, so they test the source as it is.
    globalSetup: ['test/e2e/build-dist.ts'],
    // Output is compared as text: no colour, whatever the machine (CI=true turns picocolors on).
    env: { NO_COLOR: '1' },
  },
});
