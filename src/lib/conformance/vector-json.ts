// Vector files as people read them: one key per line down to each case, each write and each
// step on a line of its own, and anything short on one line, so that a diff of a vector file
// shows the step that changed.

/** JSON text of a vector file (any format). */
export function formatVectorJson(value: unknown): string {
  return `${render(value, '', '')}\n`;
}

/** Arrays whose items stay one per line however short the array is. */
const ONE_PER_LINE = new Set(['steps', 'writes', 'requests', 'cases']);
const SHORT = 100;

/** JSON on one line with a space after each colon and comma, as the hand-written files have it. */
export function compactJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(compactJson).join(', ')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}: ${compactJson(x)}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}

function render(v: unknown, indent: string, key: string): string {
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (ONE_PER_LINE.has(key)) {
      const item = (x: unknown) => (key === 'cases' ? render(x, inner, '') : compactJson(x));
      return `[\n${v.map((x) => inner + item(x)).join(',\n')}\n${indent}]`;
    }
    if (compactJson(v).length <= SHORT) return compactJson(v);
    return `[\n${v.map((x) => inner + render(x, inner, '')).join(',\n')}\n${indent}]`;
  }
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (key !== '' && !entries.some(([k]) => ONE_PER_LINE.has(k)) && compactJson(v).length <= SHORT) return compactJson(v);
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${render(x, inner, k)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(v);
}
