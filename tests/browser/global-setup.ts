// Browser tests run against the built site; they do not build it (scripts/test-all.mjs does).
import { existsSync } from 'node:fs';

export default function setup() {
  if (!existsSync('dist/index.html') || !existsSync('dist/pagefind/pagefind-ui.js')) {
    throw new Error('dist/ has no built site with a search index: run `npm run build` (or `npm test`, which builds it) first');
  }
}
