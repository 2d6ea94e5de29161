// The text of a new chapter: valid frontmatter, one section and one requirement, so a
// contributor starts from something that builds and shows every convention once.
import { PARTS, parseFrontmatter, type Part } from './frontmatter.ts';

const SLUG = /^[a-z][a-z0-9-]*$/;

export function scaffoldChapter(slug: string | undefined, opts: { part?: string; prefix?: string } = {}) {
  if (!slug || !SLUG.test(slug)) throw new Error(`a chapter slug in kebab-case is required, e.g. "my-device" (got "${slug ?? ''}")`);
  const part = (opts.part ?? 'devices') as Part;
  if (!PARTS.includes(part)) throw new Error(`--part must be one of ${PARTS.join(', ')}`);
  const prefix = (opts.prefix ?? slug.replace(/-/g, '').slice(0, 6)).toUpperCase();
  const title = slug.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join(' ');
  const data = { title, part, order: 99, status: 'draft', summary: `What the AVP requires of ${title.toLowerCase()}.`, reqPrefix: prefix };
  parseFrontmatter(`${slug}.mdx`, data); // the scaffold must pass the same check as any chapter
  const text = `---
title: ${data.title}
part: ${data.part}
order: ${data.order}
status: ${data.status}
summary: ${data.summary}
reqPrefix: ${data.reqPrefix}
# virtioDeviceId: 2
# virtioSections: ["5.2"]
---

One paragraph on what this chapter covers and why an automotive platform needs it.

## Discussion

Why, the trade-offs, and what hypervisors do today.

## Requirements

<Req id="AVP-${prefix}-1" level="SHOULD" actor="platform" kind="new" untestable="Placeholder: replace with a real requirement and its test.">
A platform SHOULD state here what it provides.
</Req>
`;
  return { file: `src/content/chapters/${slug}.mdx`, text };
}
