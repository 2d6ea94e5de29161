/** Where each public name of src/lib/index.ts lives in the browser (dist/runner/lib/manifest.json). */
export interface LibModules {
  readonly [name: string]: { readonly url: string; readonly namespace: boolean };
}

const PUBLIC_API = /(^|\/)src\/lib\/index\.ts$/;

// #region link-imports
/**
 * Examples import the public API from src/lib/index.ts; in the browser that is one bundle at
 * `libUrl`, or, given `modules`, one small module per part of the API, so that a named import
 * loads only the part that exports it. Any other import is refused with a message, not left
 * to fail obscurely.
 */
export function linkImports(js: string, libUrl: string, modules?: LibModules): string {
  const checked = (spec: string) => {
    if (PUBLIC_API.test(spec)) return spec;
    throw new Error(`examples can import only the public API (../src/lib/index.ts), not "${spec}"`);
  };
  const quoted = (url: string) => JSON.stringify(url).replace(/^"|"$/g, "'");
  return js.replace(
    /\bimport\s*\{([^}]*)\}\s*from\s*(['"])([^'"]+)\2|(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"]+)\5/g,
    (whole, names: string | undefined, q1: string, spec1: string, pre: string, q2: string, spec2: string) => {
      if (names === undefined) {
        checked(spec2);
        return `${pre}${q2}${libUrl}${q2}`;
      }
      checked(spec1);
      const linked = modules && splitNamedImport(names, modules, quoted);
      return linked ?? whole.replace(`${q1}${spec1}${q1}`, `${q1}${libUrl}${q1}`);
    },
  );
}

/** `import { a, b as c }` as one import per module; undefined if a name is not in `modules`. */
function splitNamedImport(names: string, modules: LibModules, quoted: (url: string) => string): string | undefined {
  const byUrl = new Map<string, string[]>();
  const namespaces: string[] = [];
  for (const part of names.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\w+)(?:\s+as\s+(\w+))?$/.exec(part);
    const mod = m && Object.hasOwn(modules, m[1]) ? modules[m[1]] : undefined;
    if (!m || !mod) return undefined;
    if (mod.namespace) namespaces.push(`import * as ${m[2] ?? m[1]} from ${quoted(mod.url)}`);
    else byUrl.set(mod.url, [...(byUrl.get(mod.url) ?? []), part]);
  }
  const named = [...byUrl].map(([url, parts]) => `import { ${parts.join(', ')} } from ${quoted(url)}`);
  return [...named, ...namespaces].join('; ');
}
// #endregion link-imports
