// @ts-check
import { defineConfig } from 'astro/config';
import mdx from '@astrojs/mdx';
import { unified } from '@astrojs/markdown-remark';
import { rehypeSectionNumbers } from './src/lib/spec/rehype-section-numbers.ts';
import { rehypeTermLinks } from './src/lib/spec/rehype-term-links.ts';
import { classTokens, codeTheme } from './src/lib/spec/code-theme.ts';
import { rehypeCornerCells } from './src/lib/spec/rehype-corner-cells.ts';
import { rehypeScrollTables } from './src/lib/spec/rehype-scroll-tables.ts';

export default defineConfig({
  site: 'https://avp-spec.example',
  trailingSlash: 'always',
  integrations: [mdx()],
  markdown: {
    processor: unified({ rehypePlugins: [rehypeSectionNumbers, rehypeTermLinks, rehypeCornerCells, rehypeScrollTables] }),
    // Code fences as Source and Example show code: classes, coloured by site.css (code-theme.ts).
    shikiConfig: { theme: codeTheme, transformers: [classTokens] },
  },
  devToolbar: { enabled: false },
  vite: {
    build: {
      rolldownOptions: {
        // Astro marks each content module with its own "use astro:head-inject" directive and
        // reads it itself; rolldown, which does not know it, warns MODULE_LEVEL_DIRECTIVE once per
        // chapter. Only that warning is dropped: any other directive still warns.
        onwarn(warning, warn) {
          if (warning.code === 'MODULE_LEVEL_DIRECTIVE' && warning.message.includes('"use astro:head-inject"')) return;
          warn(warning);
        },
      },
    },
  },
});
