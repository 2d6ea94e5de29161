// Runs one example in a Web Worker: strips its types with sucrase, points its import of the
// reference implementation at the bundled library, and streams what it prints.
import { transform } from 'sucrase';
import { linkImports } from './link-imports.ts';

const LIB_URL = new URL('/runner/avp-lib.js', self.location.href).href;


function show(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Error) return v.stack ?? String(v);
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
  } catch {
    return String(v);
  }
}

const post = (msg: { type: string; text?: string; stream?: string }) => (self as unknown as Worker).postMessage(msg);

for (const [name, stream] of [['log', 'stdout'], ['info', 'stdout'], ['warn', 'stderr'], ['error', 'stderr']] as const) {
  (console as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => post({ type: 'out', stream, text: args.map(show).join(' ') + '\n' });
}

self.onmessage = async (e: MessageEvent<{ code: string }>) => {
  try {
    const js = transform(e.data.code, { transforms: ['typescript'], disableESTransforms: true }).code;
    const url = URL.createObjectURL(new Blob([linkImports(js, LIB_URL)], { type: 'text/javascript' }));
    await import(/* @vite-ignore */ url);
    post({ type: 'done' });
  } catch (err) {
    post({ type: 'error', text: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }
};
