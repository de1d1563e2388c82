import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Three workers on two cores: the slow files mostly wait on real servers
    // and CLIs (PostgreSQL, Redis, s3rver, aws, promtool), and three measured
    // faster than two (about 80 s against 140 s) or four.
    maxWorkers: 3,
  },
});
