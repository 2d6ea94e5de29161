import { defineConfig } from 'vitest/config';

// Two projects: `unit` (unit, property and conformance tests of src/lib, fast, no browser)
// and `browser` (Chromium against the built site in dist/). scripts/test-all.mjs runs them
// in that order with a site build between them.
export default defineConfig({
  test: {
    // Lets the traceability link each test to its line in the source.
    includeTaskLocation: true,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts', 'tests/property/**/*.test.ts', 'tests/conformance/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          globalSetup: ['tests/browser/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One Chromium at a time: the machines have two cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
