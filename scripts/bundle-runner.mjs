// Bundles what examples need in the browser into dist/runner/: the reference implementation
// as one ES module, the worker that runs an example, and the buttons' UI.
import { build } from 'esbuild';

export async function bundleRunner(outdir = 'dist/runner') {
  await build({
    entryPoints: {
      'avp-lib': 'src/lib/index.ts',
      worker: 'src/components/runner/worker.ts',
      'example-ui': 'src/components/runner/example-ui.ts',
      visualizer: 'src/components/runner/visualizer.ts',
    },
    outdir,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
}
