// Named source regions, mdBook-style: a chapter shows the lines between `#region name` and
// `#endregion name` comments. Markers never show, nested regions included.
import { SpecError } from './errors.ts';

// A marker is a whole line: `// #region name`, `/* #region name */`, `# #region name` or
// `<!-- #region name -->`, so a marker-like string inside code is never taken for one.
const MARKER = /^\s*(?:\/\/|\/\*|#|<!--)\s*#(region|endregion)\b\s*([\w-]*)\s*(?:\*\/|-->)?\s*$/;

interface Marker {
  line: number;
  kind: 'region' | 'endregion';
  name: string;
}

function findMarkers(source: string, file: string): Marker[] {
  const markers: Marker[] = [];
  source.split('\n').forEach((text, line) => {
    const m = MARKER.exec(text);
    if (!m) return;
    const [, kind, name] = m;
    if (!name) throw new SpecError('REGION_MALFORMED', `${file}:${line + 1}: #${kind} needs a name`);
    markers.push({ line, kind: kind as Marker['kind'], name });
  });
  return markers;
}

/** Every region in a file, as name -> [first line, last line) of its body (0-based). */
export function listRegions(source: string, file = '<source>'): Map<string, [number, number]> {
  const regions = new Map<string, [number, number]>();
  const open = new Map<string, number>();
  for (const m of findMarkers(source, file)) {
    if (m.kind === 'region') {
      if (regions.has(m.name)) {
        throw new SpecError('REGION_MALFORMED', `${file}:${m.line + 1}: region "${m.name}" is defined twice`);
      }
      open.set(m.name, m.line);
      regions.set(m.name, [m.line + 1, -1]); // keeps regions in the order they open
    } else {
      const start = open.get(m.name);
      if (start === undefined) {
        throw new SpecError('REGION_MALFORMED', `${file}:${m.line + 1}: #endregion "${m.name}" has no matching #region`);
      }
      open.delete(m.name);
      regions.set(m.name, [start + 1, m.line]);
    }
  }
  for (const [name, line] of open) {
    throw new SpecError('REGION_MALFORMED', `${file}:${line + 1}: region "${name}" is never closed`);
  }
  return regions;
}

/** Removes the common leading indentation so a method reads as if at top level. */
export function dedent(lines: string[]): string[] {
  const indents = lines.filter((l) => l.trim()).map((l) => /^\s*/.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut));
}

/**
 * The text a chapter shows: the named region (or the whole file), without any markers,
 * dedented, with leading and trailing blank lines trimmed. Each region named in `elide` must
 * lie inside it; its lines become one comment naming it, for a region the chapter shows on its
 * own, so that no line is shown twice.
 */
export function extractRegion(source: string, region: string | undefined, file = '<source>', elide: readonly string[] = []): string {
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  const regions = listRegions(source, file);
  let span: [number, number] = [0, lines.length];
  if (region !== undefined) {
    const found = regions.get(region);
    if (!found) {
      const known = [...regions.keys()];
      throw new SpecError(
        'REGION_MISSING',
        `${file}: no region "${region}"` + (known.length ? ` (regions: ${known.join(', ')})` : ' (the file has no regions)'),
      );
    }
    span = found;
  }
  // Line numbers of the elided regions' bodies, and the comment each leaves in their place.
  const cut = new Map<number, string | null>();
  for (const name of elide) {
    const inner = regions.get(name);
    if (!inner) throw new SpecError('REGION_MISSING', `${file}: no region "${name}" to elide`);
    if (inner[0] <= span[0] || inner[1] >= span[1]) {
      throw new SpecError('REGION_MALFORMED', `${file}: region "${name}" does not lie inside ${region === undefined ? 'the file' : `region "${region}"`}, so it cannot be elided from it`);
    }
    const first = lines.slice(inner[0], inner[1]).find((l) => l.trim() && !MARKER.test(l)) ?? '';
    const indent = /^\s*/.exec(first)![0];
    for (let i = inner[0]; i < inner[1]; i++) cut.set(i, null);
    cut.set(inner[0], `${indent}// … region ${name}, shown on its own`);
  }
  const body: string[] = [];
  for (let i = span[0]; i < span[1]; i++) {
    const replaced = cut.get(i);
    if (replaced === undefined) body.push(lines[i]);
    else if (replaced !== null) body.push(replaced);
  }
  const kept = body.filter((l) => !MARKER.test(l));
  while (kept.length && !kept[0].trim()) kept.shift();
  while (kept.length && !kept[kept.length - 1].trim()) kept.pop();
  return dedent(kept).join('\n');
}
