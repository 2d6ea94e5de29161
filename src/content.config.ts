import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { chapterSchema } from './lib/spec/frontmatter.ts';

export const collections = {
  chapters: defineCollection({
    loader: glob({ pattern: '*.mdx', base: './src/content/chapters' }),
    schema: chapterSchema,
  }),
};
