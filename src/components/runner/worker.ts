// Runs one example in a Web Worker: takes the example as built (types stripped at build time)
// or, once the reader has edited it, strips its types with sucrase (loaded only then); points
// its imports of the reference implementation at the bundled library, and streams what it
// prints.
import { linkImports, type LibModules } from './link-imports.ts';

const LIB_URL = new URL('/runner/avp-lib.js', self.location.href).href;
const MANIFEST_URL = new URL('/runner/lib/manifest.json', self.location.href).href;

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

/** The public API split by module; without the manifest, the whole library in one bundle. */
async function libModules(): Promise<LibModules | undefined> {
  const r = await fetch(MANIFEST_URL).catch(() => undefined);
  if (!r?.ok) return undefined;
  const manifest = (await r.json()) as LibModules;
  return Object.fromEntries(Object.entries(manifest).map(([k, v]) => [k, { ...v, url: new URL(v.url, self.location.href).href }]));
}

/** The built JavaScript of an unedited example, if the site has it. */
async function builtExample(name: string): Promise<string | undefined> {
  const r = await fetch(new URL(`/runner/examples/${encodeURIComponent(name)}.js`, self.location.href)).catch(() => undefined);
  return r?.ok ? r.text() : undefined;
}

async function stripTypes(code: string): Promise<string> {
  const { transform } = await import('sucrase');
  return transform(code, { transforms: ['typescript'], disableESTransforms: true }).code;
}

self.onmessage = async (e: MessageEvent<{ code: string; example?: string }>) => {
  try {
    const [built, modules] = await Promise.all([e.data.example ? builtExample(e.data.example) : undefined, libModules()]);
    const js = built ?? (await stripTypes(e.data.code));
    const url = URL.createObjectURL(new Blob([linkImports(js, LIB_URL, modules)], { type: 'text/javascript' }));
    await import(/* @vite-ignore */ url);
    post({ type: 'done' });
  } catch (err) {
    post({ type: 'error', text: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }
};
