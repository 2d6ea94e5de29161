// The implementation-status table as JSON: every category with, for each implementation, its
// status and its sources resolved to links, from src/content/implementation-status.yaml.
import type { APIRoute } from 'astro';
import { loadImplementationStatus } from '../lib/spec/implementation-status-files.ts';
import { IMPLEMENTATION_IDS, STATUSES, parseSource, statusCounts } from '../lib/spec/implementation-status.ts';
import { site } from '../site-config.ts';

export const GET: APIRoute = () => {
  const data = loadImplementationStatus();
  const impls = IMPLEMENTATION_IDS.map((id) => data.implementations.find((i) => i.id === id)!);
  const body = {
    format: 'avp-implementation-status',
    version: 1,
    spec: site.title,
    virtio: site.virtioVersion,
    checked: data.checked,
    statuses: STATUSES,
    counts: statusCounts(data),
    implementations: impls.map(({ id, name, repo, kind, url, note }) => ({ id, name, repo, kind, url, note: note ?? null })),
    categories: data.categories.map((cat) => ({
      id: cat.id,
      name: cat.name,
      virtioDeviceIds: cat.virtioDeviceIds,
      chapter: cat.chapter ?? null,
      cells: Object.fromEntries(
        impls.map((impl) => {
          const cell = cat.cells[impl.id];
          return [impl.id, { status: cell.status, nonstandard: cell.nonstandard ?? false, sources: (cell.sources ?? []).map((s) => parseSource(impl, s)), note: cell.note ?? null }];
        }),
      ),
    })),
  };
  return new Response(JSON.stringify(body, null, 2), { headers: { 'content-type': 'application/json' } });
};
