import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Output is compared as text: no colour, whatever the machine (CI=true turns picocolors on).
    env: { NO_COLOR: '1' },
  },
});
