// Bundles what examples need in the browser into dist/runner/: the reference implementation,
// the worker that runs an example, the buttons' UI, the visualizer, and each example's source
// with its types stripped at build time.
//
// The reference implementation is split so that a Run loads only what the example uses:
// - every line of src/lib/index.ts (`export * from …`, `export * as ns from …`) is its own
//   entry, lib/<module>.js, and lib/manifest.json maps each public name to its entry; the
//   worker links an example's named imports to those entries (link-imports.ts). Shared code
//   lands in chunks/, loaded once;
// - src/lib's modules have no import-time side effects, and esbuild is told so: an entry keeps
//   only the modules whose exports it uses. That keeps zod (the vector and platform schemas,
//   which the browser only needs for the examples that validate a file) out of every bundle
//   that does not call a parser;
// - avp-lib.js is the whole public API in one module, for `import * as` and dynamic imports;
// - examples/<name>.js is the example without its types, so an unedited example runs without
//   loading the TypeScript stripper (sucrase), which only an edited example needs.
import { build, transform } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

const LIB_DIR = resolve('src/lib') + sep;

/** Marks src/lib's modules free of import-time side effects, so unused ones are dropped. */
const libHasNoSideEffects = {
  name: 'avp-lib-no-side-effects',
  setup(b) {
    b.onResolve({ filter: /\.ts$/ }, async (args) => {
      if (args.pluginData?.avpResolving) return undefined;
      const r = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { avpResolving: true },
      });
      if (r.errors.length > 0 || !r.path.startsWith(LIB_DIR)) return r;
      return { path: r.path, namespace: r.namespace, sideEffects: false };
    });
  },
};

/** The public API's modules, one per `export *` line of src/lib/index.ts. */
export function libModules(indexFile = 'src/lib/index.ts') {
  const text = readFileSync(indexFile, 'utf8');
  const mods = [];
  for (const m of text.matchAll(/^export \* (?:as (\w+) )?from '\.\/([^']+)\.ts';/gm)) {
    const [, namespace, path] = m;
    mods.push({ entry: `lib/${path.replace(/\/index$/, '').replace(/\//g, '-')}`, file: `src/lib/${path}.ts`, namespace });
  }
  return mods;
}

export async function bundleRunner(outdir = 'dist/runner') {
  const mods = libModules();
  const common = { outdir, bundle: true, format: 'esm', target: 'es2022', minify: true, sourcemap: true, metafile: true, logLevel: 'warning', plugins: [libHasNoSideEffects] };
  const result = await build({
    ...common,
    entryPoints: {
      'avp-lib': 'src/lib/index.ts',
      worker: 'src/components/runner/worker.ts',
      'example-ui': 'src/components/runner/example-ui.ts',
      ...Object.fromEntries(mods.map((m) => [m.entry, m.file])),
    },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  });
  // The visualizer on its own: in the split build above, a chunk keeps the code every entry
  // uses from its modules, and the visualizer would share one with the vector parser (zod).
  const vis = await build({ ...common, entryPoints: { visualizer: 'src/components/runner/visualizer.ts' } });

  // Public name -> the entry that exports it (a namespace name -> its entry as a whole).
  const manifest = {};
  const outputs = Object.entries(result.metafile.outputs);
  for (const m of mods) {
    const [out, info] = outputs.find(([, o]) => o.entryPoint === m.file) ?? [];
    if (!out) throw new Error(`bundle-runner: no output for ${m.file}`);
    const url = `/runner/${relative(outdir, out).split(sep).join('/')}`;
    if (m.namespace) manifest[m.namespace] = { url, namespace: true };
    else for (const name of info.exports) manifest[name] ??= { url, namespace: false };
  }
  writeFileSync(join(outdir, 'lib', 'manifest.json'), JSON.stringify(manifest));

  mkdirSync(join(outdir, 'examples'), { recursive: true });
  for (const f of readdirSync('examples').filter((f) => f.endsWith('.ts'))) {
    const { code } = await transform(readFileSync(join('examples', f), 'utf8'), { loader: 'ts', format: 'esm', target: 'es2022' });
    writeFileSync(join(outdir, 'examples', f.replace(/\.ts$/, '.js')), code);
  }
  return { outputs: { ...result.metafile.outputs, ...vis.metafile.outputs } };
}
