// @ts-check
import { defineConfig } from 'astro/config';
import mdx from '@astrojs/mdx';
import { unified } from '@astrojs/markdown-remark';
import { rehypeSectionNumbers } from './src/lib/spec/rehype-section-numbers.ts';
import { rehypeTermLinks } from './src/lib/spec/rehype-term-links.ts';

export default defineConfig({
  site: 'https://avp-spec.example',
  trailingSlash: 'always',
  integrations: [mdx()],
  markdown: {
    processor: unified({ rehypePlugins: [rehypeSectionNumbers, rehypeTermLinks] }),
    shikiConfig: { themes: { light: 'github-light', dark: 'github-dark' }, defaultColor: 'light' },
  },
  devToolbar: { enabled: false },
});
