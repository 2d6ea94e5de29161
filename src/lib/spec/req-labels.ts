// How the site names a requirement's actor and kind, and where the glossary defines each.
import type { Actor, Kind } from './mdx-scan.ts';

export const ACTOR_LABELS: Record<Actor, string> = { device: 'device', driver: 'driver', platform: 'platform' };

export const KIND_LABELS: Record<Kind, string> = {
  restates: 'restates VIRTIO',
  narrows: 'narrows VIRTIO',
  'fills-gap': 'fills a VIRTIO gap',
  new: 'beyond VIRTIO',
};

/** The glossary chapter's slug: each actor and kind is a term defined there. */
export const GLOSSARY = 'glossary';

/** The anchor of a term in the glossary: `term-` and the term in kebab case. */
export const termAnchor = (term: string) => `term-${term.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;

export const glossaryHref = (term: string) => `/chapters/${GLOSSARY}/#${termAnchor(term)}`;
