import { defineConfig } from 'vitest/config';

// Three projects: `unit` (unit, property and conformance tests of src/lib, fast, no browser),
// `guest` (a Linux guest's own drivers against the models, under QEMU) and `browser` (Chromium
// against the built site in dist/). scripts/test-all.mjs runs them in that order, with a site
// build (which reads the unit and guest results) before the browser tests.
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
          // A real Linux guest under QEMU against the models over vhost-user (about a minute, and
          // an install on first use): run by `npm test`, kept out of the unit project so that the
          // build's own test run (`npm start`) stays quick.
          name: 'guest',
          include: ['tests/guest/**/*.test.ts'],
          testTimeout: 30_000,
          fileParallelism: false,
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
