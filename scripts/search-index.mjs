// The search index of the built site (dist/pagefind/): every page, and every requirement as a
// record of its own whose title is its ID and whose link is its box (/chapters/<slug>/#<ID>),
// so that a search for an ID lists that requirement first and leads to it. Pagefind weights
// a level-one heading above body text, so the record that is headed by the ID outranks both
// the chapter page and the records of longer IDs it is a prefix of (AVP-BLK-3 of AVP-BLK-30).
import { readFileSync } from 'node:fs';
import * as pagefind from 'pagefind';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The HTML Pagefind indexes for one requirement of requirements.json. */
export function requirementRecord(r) {
  const title = `${r.id} ${r.level}: ${r.section} ${r.sectionTitle}`;
  return `<html lang="en"><head><title>${esc(title)}</title><meta data-pagefind-meta="title[content]" content="${esc(title)}"></head>` +
    `<body><main data-pagefind-body><h1>${esc(r.id)}</h1><p>${esc(r.level)} ${esc(r.text)}</p></main></body></html>`;
}

export async function writeSearchIndex(site = 'dist') {
  const { index, errors } = await pagefind.createIndex({});
  if (errors.length) throw new Error(`search index: ${errors.join('; ')}`);
  const pages = await index.addDirectory({ path: site });
  if (pages.errors.length) throw new Error(`search index: ${pages.errors.join('; ')}`);
  const { requirements } = JSON.parse(readFileSync(`${site}/requirements.json`, 'utf8'));
  for (const r of requirements) {
    const added = await index.addHTMLFile({ url: r.url, content: requirementRecord(r) });
    if (added.errors.length) throw new Error(`search index: ${r.id}: ${added.errors.join('; ')}`);
  }
  const written = await index.writeFiles({ outputPath: `${site}/pagefind` });
  if (written.errors.length) throw new Error(`search index: ${written.errors.join('; ')}`);
  await pagefind.close();
  console.log(`search index: ${pages.page_count} pages and ${requirements.length} requirements`);
}
