// #region link-imports
/**
 * Examples import the public API from src/lib/index.ts; in the browser that is one bundle at
 * `libUrl`. Any other import is refused with a message, not left to fail obscurely.
 */
export function linkImports(js: string, libUrl: string): string {
  return js.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"]+)\2/g, (_whole, pre: string, q: string, spec: string) => {
    if (/(^|\/)src\/lib\/index\.ts$/.test(spec)) return `${pre}${q}${libUrl}${q}`;
    throw new Error(`examples can import only the public API (../src/lib/index.ts), not "${spec}"`);
  });
}
// #endregion link-imports
