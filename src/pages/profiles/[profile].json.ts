// One conformance profile's requirement list, for a vendor to take into a test plan: every
// requirement the profile selects, at the level the profile gives it, with its state in the
// test run this build used.
import type { APIRoute, GetStaticPaths } from 'astro';
import { loadSpecIndex } from '../../lib/spec/chapter-files.ts';
import { loadProfiles } from '../../lib/spec/profile-files.ts';
import { profileRequirements, type Profile } from '../../lib/spec/profiles.ts';
import { loadTraceability } from '../../lib/spec/trace-files.ts';
import { site } from '../../site-config.ts';

export const getStaticPaths: GetStaticPaths = () => loadProfiles().map((p) => ({ params: { profile: p.id }, props: { profile: p } }));

export const GET: APIRoute = ({ props }) => {
  const profile = props.profile as Profile;
  const index = loadSpecIndex();
  const traced = new Map(loadTraceability()?.requirements.map((r) => [r.id, r]));
  const requirements = profileRequirements(profile, index).map((r) => ({
    id: r.id,
    level: r.profileLevel,
    specLevel: r.level,
    actor: r.actor,
    kind: r.kind,
    chapter: r.chapter,
    section: r.section,
    virtioSection: r.virtio ?? null,
    text: r.text,
    untestable: r.untestable ?? null,
    state: traced.get(r.id)?.state ?? null,
    url: r.href,
  }));
  const excluded = Object.entries(profile.exclude ?? {}).map(([id, reason]) => ({ id, reason }));
  const body = { format: 'avp-profile', version: 1, spec: site.title, virtio: site.virtioVersion, profile: { id: profile.id, title: profile.title, summary: profile.summary, chapters: profile.chapters }, requirements, excluded };
  return new Response(JSON.stringify(body, null, 2), { headers: { 'content-type': 'application/json' } });
};
