import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // test/ mirrors the source folders; the console keeps its unit specs next to its sources.
    include: ['test/**/*.test.ts', 'agent-ui/src/**/*.spec.ts'],
    // A hang guard, not a speed bound (speed is measured in bench/): hubs started inside a test take
    // tens of seconds on a loaded two-core machine.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Files run in parallel (two workers on these 2-core machines); each file gets its own
    // database through test/helpers/db.ts testMongoUri().
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
