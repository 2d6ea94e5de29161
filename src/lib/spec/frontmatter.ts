// The chapter frontmatter schema. Astro checks every chapter against it at build time; the
// same schema backs parseFrontmatter(), whose error names the file and the field.
import { z } from 'zod';
import { SpecError } from './errors.ts';
import { virtioSectionTitle } from './virtio-sections.ts';

export const PARTS = ['front', 'core', 'devices', 'back'] as const;
export type Part = (typeof PARTS)[number];

export const PART_TITLES: Record<Part, string> = {
  front: 'Introduction',
  core: 'Common parts',
  devices: 'Device categories',
  back: 'Conformance and appendices',
};

// #region schema
/** A VIRTIO section number such as "2.7.5" or "5.2". */
const virtioSection = z
  .string()
  .regex(/^\d+(\.\d+)*$/, 'a VIRTIO section number such as "2.7.5"')
  .refine((n) => virtioSectionTitle(n) !== undefined, { error: (i) => `§${i.input} is not a section of VIRTIO 1.4` });

export const chapterSchema = z
  .object({
    title: z.string().min(1, 'a non-empty title'),
    part: z.enum(PARTS),
    order: z.number().int().nonnegative(),
    status: z.enum(['draft', 'review', 'stable']),
    summary: z.string().min(1, 'a one-sentence summary'),
    reqPrefix: z.string().regex(/^[A-Z][A-Z0-9]{1,9}$/, 'upper-case letters and digits, e.g. BLK'),
    virtioDeviceId: z.number().int().min(1).max(255).optional(),
    virtioSections: z.array(virtioSection).optional(),
  })
  .strict();
// #endregion schema

export type ChapterFrontmatter = z.infer<typeof chapterSchema>;

/** Validates one chapter's frontmatter, or throws naming the file and every bad field. */
export function parseFrontmatter(file: string, data: unknown): ChapterFrontmatter {
  const result = chapterSchema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '(root)');
    return `field "${field}": ${issue.message}`;
  });
  throw new SpecError('FRONTMATTER', `${file}: bad frontmatter: ${problems.join('; ')}`);
}
