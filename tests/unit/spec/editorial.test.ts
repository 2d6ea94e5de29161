// The editorial checks of the build: every requirement names its actor and kind, every cited
// VIRTIO section exists (in requirements, prose, frontmatter and code), normative text does not
// lean on the reference code's words, terms in normative text are defined, and profiles name
// only chapters and requirements that exist.
import { describe, expect, it } from 'vitest';
import { buildSpecIndex, type ChapterInput } from '../../../src/lib/spec/spec-index.ts';
import type { SpecError } from '../../../src/lib/spec/errors.ts';
import type { ChapterFrontmatter } from '../../../src/lib/spec/frontmatter.ts';
import { parseFrontmatter } from '../../../src/lib/spec/frontmatter.ts';
import { citationsIn, virtioSectionTitle } from '../../../src/lib/spec/virtio-sections.ts';
import { findUnknownSourceCitations } from '../../../src/lib/spec/citation-files.ts';
import { parseProfiles, profileRequirements } from '../../../src/lib/spec/profiles.ts';
import { loadProfiles } from '../../../src/lib/spec/profile-files.ts';
import { loadSpecIndex } from '../../../src/lib/spec/chapter-files.ts';
import { ACTORS, KINDS } from '../../../src/lib/spec/mdx-scan.ts';

function chapter(slug: string, prefix: string, body: string): ChapterInput {
  const data: ChapterFrontmatter = { title: slug, part: 'core', order: 1, status: 'draft', summary: 's', reqPrefix: prefix };
  return { slug, file: `src/content/chapters/${slug}.mdx`, data, body };
}

function failure(fn: () => unknown): { kind: string; message: string } {
  try {
    fn();
  } catch (e) {
    return { kind: (e as SpecError).kind, message: (e as Error).message };
  }
  return { kind: 'no error', message: '' };
}

const glossary = chapter(
  'glossary',
  'TERM',
  [...ACTORS, ...KINDS].map((t) => `<Term name="${t}">d</Term>\n\n`).join('') + '<Term name="production configuration" aliases="production">d</Term>\n',
);

describe('requirement actor and kind', () => {
  it('fails on a requirement without an actor, naming the file, line, requirement and the values allowed', () => {
    const f = failure(() => buildSpecIndex([chapter('a', 'AA', '\n<Req id="AVP-AA-1" level="MUST" kind="new">x</Req>\n')]));
    expect(f.kind).toBe('REQ_MALFORMED');
    expect(f.message).toBe('src/content/chapters/a.mdx:2: requirement AVP-AA-1 needs actor="device|driver|platform"');
  });

  it('fails on an unknown kind', () => {
    const f = failure(() => buildSpecIndex([chapter('a', 'AA', '<Req id="AVP-AA-1" level="MUST" actor="device" kind="extends">x</Req>\n')]));
    expect(f.message).toMatch(/AVP-AA-1: kind "extends" is not one of restates, narrows, fills-gap, new/);
  });

  it('keeps actor and kind in the index', () => {
    const idx = buildSpecIndex([chapter('a', 'AA', '<Req id="AVP-AA-1" level="MAY" actor="platform" kind="narrows" virtio="5.2">x</Req>\n')]);
    expect(idx.requirements.get('AVP-AA-1')).toMatchObject({ actor: 'platform', kind: 'narrows', virtio: '5.2', virtioTitle: 'Block Device' });
  });

  it('fails on normative text that uses the reference code\'s vocabulary', () => {
    const f = failure(() => buildSpecIndex([chapter('a', 'AA', '<Req id="AVP-AA-1" level="MUST" actor="device" kind="new">The device MUST NOT throw.</Req>\n')]));
    expect(f.kind).toBe('REQ_MALFORMED');
    expect(f.message).toMatch(/AVP-AA-1 says "throw"/);
  });
});

describe('VIRTIO section citations', () => {
  it('knows the sections of VIRTIO 1.4 CS01 and their titles', () => {
    expect(virtioSectionTitle('2.7.5.2')).toBe('Driver Requirements: The Virtqueue Descriptor Table');
    expect(virtioSectionTitle('3.4')).toBe('Device Suspend');
    expect(virtioSectionTitle('5.23')).toBe('RTC Device');
    // Sections that earlier drafts cited but VIRTIO 1.4 does not have: §2.3 has no subsections.
    for (const gone of ['2.3.1', '2.3.2', '2.6.4', '5.24']) expect(virtioSectionTitle(gone), gone).toBeUndefined();
  });

  it('finds citations with their lines, without the sentence\'s full stop', () => {
    expect(citationsIn('see §2.7.5.\nand § 5.2, §A')).toEqual([
      { section: '2.7.5', line: 1 },
      { section: '5.2', line: 2 },
      { section: 'A', line: 2 },
    ]);
  });

  it('fails on a requirement citing a section that does not exist', () => {
    const f = failure(() => buildSpecIndex([chapter('a', 'AA', '<Req id="AVP-AA-1" level="MUST" actor="device" kind="new" virtio="2.3.1">x</Req>\n')]));
    expect(f.kind).toBe('VIRTIO_SECTION_UNKNOWN');
    expect(f.message).toMatch(/AVP-AA-1 cites virtio="2.3.1", which is not a section of VIRTIO 1.4/);
  });

  it('fails on prose citing a section that does not exist, naming each place', () => {
    const f = failure(() => buildSpecIndex([chapter('a', 'AA', 'Fine: §2.7.\n\nWrong: §2.6.4 and §9.1.\n')]));
    expect(f.kind).toBe('VIRTIO_SECTION_UNKNOWN');
    expect(f.message).toContain('src/content/chapters/a.mdx:3: §2.6.4');
    expect(f.message).toContain('src/content/chapters/a.mdx:3: §9.1');
    expect(f.message).not.toContain('§2.7\n');
  });

  it('fails on frontmatter naming a section that does not exist, naming the field', () => {
    const data = { title: 't', part: 'core', order: 1, status: 'draft', summary: 's', reqPrefix: 'AB', virtioSections: ['5.2', '2.3.1'] };
    expect(() => parseFrontmatter('x.mdx', data)).toThrow('x.mdx: bad frontmatter: field "virtioSections.1": §2.3.1 is not a section of VIRTIO 1.4');
  });

  it('finds no citation of a missing section anywhere in the code, comments and tests', () => {
    expect(findUnknownSourceCitations()).toEqual([]);
  });
});

describe('defined terms', () => {
  it('accepts terms in emphasis that the glossary defines, by name or alias, and single-letter variables', () => {
    const a = chapter('a', 'AA', '<Req id="AVP-AA-1" level="MUST" actor="platform" kind="new">In *production*, for each of *n* ports, x.</Req>\n');
    const idx = buildSpecIndex([glossary, a]);
    expect(idx.terms.get('production')?.name).toBe('production configuration');
    expect(idx.terms.get('production')?.href).toBe('/chapters/glossary/#term-production-configuration');
  });

  it('fails on a term in normative text that the glossary does not define', () => {
    const a = chapter('a', 'AA', '\n<Req id="AVP-AA-1" level="MUST" actor="platform" kind="new">In a *production vehicle* x.</Req>\n');
    const f = failure(() => buildSpecIndex([glossary, a]));
    expect(f.kind).toBe('TERM_UNDEFINED');
    expect(f.message).toContain('src/content/chapters/a.mdx:2: AVP-AA-1 uses the term "production vehicle"');
  });

  it('fails when a glossary exists but does not define an actor or kind', () => {
    const f = failure(() => buildSpecIndex([chapter('glossary', 'TERM', '<Term name="device">d</Term>\n')]));
    expect(f.kind).toBe('TERM_UNDEFINED');
    expect(f.message).toContain('the glossary does not define "fills-gap"');
  });

  it('fails on a term defined twice', () => {
    const f = failure(() => buildSpecIndex([chapter('glossary', 'TERM', '<Term name="guest">a</Term>\n\n<Term name="vm" aliases="Guest">b</Term>\n')]));
    expect(f.kind).toBe('TERM_DUPLICATE');
    expect(f.message).toMatch(/the term "Guest" is already defined as "guest"/);
  });
});

describe('conformance profiles', () => {
  const idx = buildSpecIndex([
    chapter('a', 'AA', '<Req id="AVP-AA-1" level="SHOULD" actor="device" kind="new">x</Req>\n\n<Req id="AVP-AA-2" level="MUST" actor="device" kind="new">y</Req>\n'),
    chapter('b', 'BB', '<Req id="AVP-BB-1" level="MAY" actor="device" kind="new">z</Req>\n'),
  ]);
  const profile = (p: object) => ({ profiles: [{ id: 'p', title: 'P', summary: 's', chapters: ['a'], ...p }] });

  it('selects the chapters, raises and excludes as the profile says', () => {
    const [p] = parseProfiles('profiles.yaml', profile({ raise: { 'AVP-AA-1': 'MUST' }, exclude: { 'AVP-AA-2': 'not here' } }), idx);
    expect(profileRequirements(p, idx).map((r) => [r.id, r.profileLevel])).toEqual([['AVP-AA-1', 'MUST']]);
  });

  it('names the profile and field of an unknown chapter or requirement, or a raise that lowers', () => {
    expect(() => parseProfiles('profiles.yaml', profile({ chapters: ['a', 'zz'] }), idx)).toThrow('profiles.yaml: profiles.0.chapters.1 (profile "p"): no chapter "zz"');
    expect(() => parseProfiles('profiles.yaml', profile({ exclude: { 'AVP-AA-9': 'x' } }), idx)).toThrow(/exclude\.AVP-AA-9 \(profile "p"\): no requirement AVP-AA-9/);
    expect(() => parseProfiles('profiles.yaml', profile({ raise: { 'AVP-BB-1': 'MUST' } }), idx)).toThrow(/AVP-BB-1 is in chapter "b", which the profile does not take/);
    expect(() => parseProfiles('profiles.yaml', profile({ raise: { 'AVP-AA-2': 'SHOULD' } }), idx)).toThrow(/SHOULD does not raise AVP-AA-2, which is already MUST/);
    expect(() => parseProfiles('profiles.yaml', profile({ title: 3 }), idx)).toThrow(/field "profiles.0.title"/);
  });

  it('ships profiles that parse against the specification and each select requirements', () => {
    const index = loadSpecIndex();
    const shipped = loadProfiles();
    expect(shipped.map((p) => p.id)).toEqual(expect.arrayContaining(['cluster-rtos', 'ivi', 'adas']));
    for (const p of shipped) expect(profileRequirements(p, index).length, p.id).toBeGreaterThan(0);
  });
});
