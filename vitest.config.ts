import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Starts one nsqlookupd + nsqd + FerretDB for the whole run; test files reach them through
    // `inject('services')` (tests/support/services.ts), each with its own database and topics.
    globalSetup: ['tests/global-setup.ts'],
    // Forks, not threads: a crashing native driver or a stray process.exit stays in one file.
    pool: 'forks',
    testTimeout: 30_000,
    // Hooks may start app services (fastify, MCP agents) against the shared backing services.
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // `npm run coverage` (checklist "Code coverage ≥80%"): fails below the thresholds.
    coverage: {
      provider: 'v8',
      include: ['app/src/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: { statements: 80, branches: 80, functions: 80, lines: 80 },
    },
  },
});
