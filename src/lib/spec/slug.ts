// Heading anchors: GitHub-style slugs, the same scheme Astro uses, deduplicated per page.
import GithubSlugger from 'github-slugger';

export function createSlugger(): (text: string) => string {
  const slugger = new GithubSlugger();
  return (text) => slugger.slug(text);
}
