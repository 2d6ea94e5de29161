// The components a chapter may use without importing them.
import Ref from './Ref.astro';
import Req from './Req.astro';
import Source from './Source.astro';

export const chapterComponents = { Ref, Req, Source };
