import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Browser tests start Chromium against the built site; they get more time than unit tests.
    testTimeout: 20_000,
    hookTimeout: 180_000,
  },
});
