// `npm run check:chapters`: the build's chapter checks without a full site build: frontmatter,
// numbering, requirement IDs, actors and kinds, cross-references, defined terms, VIRTIO section
// citations (chapters and code), every <Source> file and region, every <Example>, profiles. Fast enough to run on each save while writing a chapter.
import { loadSpecIndex } from '../src/lib/spec/chapter-files.ts';
import { findExample } from '../src/lib/spec/examples.ts';
import { readSource } from '../src/lib/spec/source.ts';
import { checkSourceCitations } from '../src/lib/spec/citation-files.ts';
import { loadProfiles } from '../src/lib/spec/profile-files.ts';
import { loadImplementationStatus } from '../src/lib/spec/implementation-status-files.ts';

const root = process.cwd();
try {
  const index = loadSpecIndex(root);
  let sources = 0;
  let examples = 0;
  for (const ch of index.chapters) {
    for (const s of ch.scan.sources) {
      readSource(root, s.file, s.region, `${ch.file}:${s.line}`);
      sources++;
    }
    for (const e of ch.scan.examples) {
      findExample(root, e.name);
      examples++;
    }
  }
  checkSourceCitations(root);
  const profiles = loadProfiles(root);
  const status = loadImplementationStatus(root);
  console.log(`${index.chapters.length} chapters, ${index.requirements.size} requirements, ${index.terms.size} term forms, ${sources} sources, ${examples} examples, ${profiles.length} profiles, implementation status ${status.categories.length}×${status.implementations.length}, VIRTIO citations in code: ok`);
} catch (e) {
  console.error(`check:chapters: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
