// Every requirement as JSON, for vendors who take them into their own test sets.
import type { APIRoute } from 'astro';
import { loadSpecIndex } from '../lib/spec/chapter-files.ts';
import { loadTraceability } from '../lib/spec/trace-files.ts';
import { site } from '../site-config.ts';

export const GET: APIRoute = () => {
  const index = loadSpecIndex();
  const trace = loadTraceability();
  const traced = new Map(trace?.requirements.map((r) => [r.id, r]));
  const requirements = [...index.requirements.values()].map((r) => ({
    id: r.id,
    level: r.level,
    chapter: r.chapter,
    chapterNumber: index.chapters.find((c) => c.slug === r.chapter)!.number,
    section: r.section,
    sectionTitle: r.sectionTitle,
    text: r.text,
    actor: r.actor,
    kind: r.kind,
    virtioSection: r.virtio ?? null,
    virtioSectionTitle: r.virtioTitle ?? null,
    untestable: r.untestable ?? null,
    url: r.href,
    state: traced.get(r.id)?.state ?? null,
    tests: (traced.get(r.id)?.tests ?? []).map((t) => ({ name: t.name, file: t.file, line: t.line ?? null, status: t.status })),
  }));
  const body = { format: 'avp-requirements', version: 2, spec: site.title, virtio: site.virtioVersion, generatedAt: trace?.generatedAt ?? null, requirements };
  return new Response(JSON.stringify(body, null, 2), { headers: { 'content-type': 'application/json' } });
};
