/// <reference types="astro/client" />

// tsc does not read .astro files (astro's own checker does); this lets .ts files import them.
declare module '*.astro' {
  const Component: (props: Record<string, unknown>) => unknown;
  export default Component;
}
