// Implementation status: for each device category of the specification and each hypervisor or
// back-end project, whether the device exists there, and the file of that project that says so.
// Validated with zod; every error names the field path (categories.3.cells.qemu.sources.0). A
// status other than "unknown" needs at least one source; "unknown" needs a note of what was
// looked for. Build-time and test code; no node: imports (the loader is implementation-status-files.ts).
import { z } from 'zod';
import { SpecError } from './errors.ts';

// #region status-vocabulary
/** What a cell can say. "front-end": the guest-visible device whose emulation runs elsewhere
 * (a vhost-user or kernel vhost back end); "back-end": the device's emulation itself, in the
 * VMM or as a vhost-user back end; "both"; "absent"; "unknown" (not established, with a note). */
export const STATUSES = ['front-end', 'back-end', 'both', 'absent', 'unknown'] as const;
export type Status = (typeof STATUSES)[number];

/** The device categories, in table order: the chapters' categories first, then those without a chapter yet. */
export const CATEGORY_IDS = [
  'block', 'network', 'tsn', 'console', 'vsock', 'can', 'filesystem', 'entropy', 'input', 'gpu', 'sound', 'media', 'rpmb',
  'balloon', 'iommu', 'scmi', 'gpio', 'i2c', 'spi', 'rtc', 'watchdog', 'crypto', 'tee', 'rpmsg', 'bluetooth', 'usb',
] as const;
export type CategoryId = (typeof CATEGORY_IDS)[number];

/** The implementations, in column order. */
export const IMPLEMENTATION_IDS = ['qemu', 'crosvm', 'cloud-hypervisor', 'acrn', 'xen', 'xvisor', 'vhost-device'] as const;
export type ImplementationId = (typeof IMPLEMENTATION_IDS)[number];
// #endregion status-vocabulary

// #region status-schema
/** A source: a file or folder (ending in "/") of the implementation's repository at a tag or commit, "path@ref". */
const SOURCE = /^(?<path>[A-Za-z0-9_.][A-Za-z0-9_.\-/]*)@(?<ref>[A-Za-z0-9][A-Za-z0-9._\-]*)$/;
const source = z.string().regex(SOURCE, 'a source "path@ref": a file or folder of the project at a tag or commit');

const cellSchema = z
  .object({
    status: z.enum(STATUSES),
    sources: z.array(source).optional(),
    /** The device is there but under a non-standard device ID, not as the VIRTIO 1.4 device. */
    nonstandard: z.boolean().optional(),
    note: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((cell, ctx) => {
    if (cell.status !== 'unknown' && !cell.sources?.length) {
      ctx.addIssue({ code: 'custom', path: ['sources'], message: `a source is required for status "${cell.status}"` });
    }
    if (cell.status === 'unknown' && !cell.note) {
      ctx.addIssue({ code: 'custom', path: ['note'], message: 'an "unknown" cell needs a note of what was looked for' });
    }
  });

const implementationSchema = z
  .object({
    id: z.enum(IMPLEMENTATION_IDS),
    name: z.string().min(1),
    /** The GitHub repository, "owner/name", whose files the sources name. */
    repo: z.string().regex(/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/, 'a GitHub repository "owner/name"'),
    kind: z.string().min(1),
    url: z.string().url(),
    /** Every tag or commit a source of this column uses, with its date when known (YYYY-MM-DD). */
    refs: z.record(z.string().min(1), z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD').optional(), note: z.string().optional() }).strict()),
    note: z.string().min(1).optional(),
  })
  .strict();

const categorySchema = z
  .object({
    id: z.enum(CATEGORY_IDS),
    name: z.string().min(1),
    /** VIRTIO 1.4 device IDs of the category; empty for TSN, which is not a device type. */
    virtioDeviceIds: z.array(z.number().int().min(1).max(255)),
    /** The chapter of this specification, if the category has one. */
    chapter: z.string().min(1).optional(),
    cells: z.record(z.string(), cellSchema),
  })
  .strict();

export const implementationStatusSchema = z
  .object({
    checked: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD'),
    implementations: z.array(implementationSchema).min(1),
    categories: z.array(categorySchema).min(1),
  })
  .strict();
// #endregion status-schema

export type Cell = z.infer<typeof cellSchema>;
export type Implementation = z.infer<typeof implementationSchema>;
export type Category = z.infer<typeof categorySchema>;
export type ImplementationStatus = z.infer<typeof implementationStatusSchema>;

export interface ParsedSource {
  path: string;
  ref: string;
  date?: string;
  url: string;
}

const fail = (file: string, field: string, message: string): never => {
  throw new SpecError('STATUS_MALFORMED', `${file}: field "${field}": ${message}`);
};

/**
 * Validates the implementation-status file: the schema, then every implementation and category
 * exactly once, a cell for every pair and none for an unknown implementation, every source's ref
 * declared by its implementation, and (given the chapters) every chapter named.
 */
export function parseImplementationStatus(file: string, raw: unknown, chapterSlugs?: Set<string>): ImplementationStatus {
  const result = implementationStatusSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `field "${i.path.join('.') || '(root)'}": ${i.message}`);
    throw new SpecError('STATUS_MALFORMED', `${file}: ${problems.join('; ')}`);
  }
  const data = result.data;
  const once = <T extends string>(ids: T[], all: readonly T[], field: string) => {
    const seen = new Set<T>();
    ids.forEach((id, n) => {
      if (seen.has(id)) fail(file, `${field}.${n}.id`, `"${id}" is listed twice`);
      seen.add(id);
    });
    for (const id of all) if (!seen.has(id)) fail(file, field, `"${id}" is missing`);
  };
  once(data.implementations.map((i) => i.id), IMPLEMENTATION_IDS, 'implementations');
  once(data.categories.map((c) => c.id), CATEGORY_IDS, 'categories');
  const impls = new Map(data.implementations.map((i) => [i.id as string, i]));
  data.categories.forEach((cat, n) => {
    if (cat.chapter && chapterSlugs && !chapterSlugs.has(cat.chapter)) fail(file, `categories.${n}.chapter`, `no chapter "${cat.chapter}"`);
    for (const key of Object.keys(cat.cells)) {
      if (!impls.has(key)) fail(file, `categories.${n}.cells.${key}`, `no implementation "${key}" (one of ${IMPLEMENTATION_IDS.join(', ')})`);
    }
    for (const id of IMPLEMENTATION_IDS) {
      const cell = cat.cells[id];
      if (!cell) fail(file, `categories.${n}.cells.${id}`, `the cell of category "${cat.id}" for "${id}" is missing`);
      cell.sources?.forEach((s, k) => {
        const ref = SOURCE.exec(s)!.groups!.ref;
        if (!impls.get(id)!.refs[ref]) fail(file, `categories.${n}.cells.${id}.sources.${k}`, `ref "${ref}" is not declared in the refs of implementation "${id}"`);
      });
    }
  });
  return data;
}

// #region source-link
/** A source of an implementation's cell as a link into its repository: a folder (ending in "/") as a tree, a file as a blob. */
export function parseSource(impl: Implementation, s: string): ParsedSource {
  const { path, ref } = SOURCE.exec(s)!.groups!;
  const kind = path.endsWith('/') ? 'tree' : 'blob';
  return { path, ref, date: impl.refs[ref]?.date, url: `https://github.com/${impl.repo}/${kind}/${ref}/${path.replace(/\/$/, '')}` };
}
// #endregion source-link

/** A ref as a reader sees it: a tag as is, a commit shortened to 12 characters, with its date when known. */
export function refLabel(src: ParsedSource): string {
  const ref = /^[0-9a-f]{40}$/.test(src.ref) ? `commit ${src.ref.slice(0, 12)}` : src.ref;
  return src.date ? `${ref}, ${src.date}` : ref;
}

/** Counts of cells by status, over the whole table. */
export function statusCounts(data: ImplementationStatus): Record<Status, number> {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
  for (const c of data.categories) for (const id of IMPLEMENTATION_IDS) counts[c.cells[id].status]++;
  return counts;
}
