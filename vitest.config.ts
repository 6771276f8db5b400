import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // test/ mirrors the source folders; the console keeps its unit specs next to its sources.
    include: ['test/**/*.test.ts', 'agent-ui/src/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Files run in parallel (two workers on these 2-core machines); each file gets its own
    // database through test/helpers/db.ts testMongoUri().
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
