// The components a chapter may use without importing them.
import Example from './Example.astro';
import PropertyEvidence from './PropertyEvidence.astro';
import Ref from './Ref.astro';
import Req from './Req.astro';
import Source from './Source.astro';
import Term from './Term.astro';
import Visualizer from './Visualizer.astro';

export const chapterComponents = { Example, PropertyEvidence, Ref, Req, Source, Term, Visualizer };
