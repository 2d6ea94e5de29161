// Conformance profiles: named selections of the specification for one kind of vehicle
// computer. A profile takes whole chapters, may raise a requirement's level (a SHOULD the
// profile needs as a MUST) and may set a requirement aside with a reason. Validated with zod;
// an unknown chapter or requirement is an error that names the profile and the field.
import { z } from 'zod';
import { SpecError } from './errors.ts';
import { LEVELS, type Level } from './mdx-scan.ts';
import type { Requirement, SpecIndex } from './spec-index.ts';

// #region profile-schema
const reqId = z.string().regex(/^AVP-[A-Z][A-Z0-9]{1,9}-[1-9][0-9]*$/, 'a requirement ID such as AVP-BLK-3');

export const profileSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and hyphens'),
    title: z.string().min(1),
    summary: z.string().min(1),
    /** Chapters whose requirements apply, at their own level unless raised. */
    chapters: z.array(z.string().min(1)).min(1),
    /** Requirements whose level this profile raises, e.g. a SHOULD it needs as a MUST. */
    raise: z.record(reqId, z.enum(LEVELS)).optional(),
    /** Requirements of the chosen chapters that do not apply here, each with the reason. */
    exclude: z.record(reqId, z.string().min(1, 'a reason')).optional(),
  })
  .strict();

export const profilesFileSchema = z.object({ profiles: z.array(profileSchema).min(1) }).strict();
// #endregion profile-schema

export type Profile = z.infer<typeof profileSchema>;

export interface ProfileRequirement extends Requirement {
  /** The level this profile gives it. */
  profileLevel: Level;
}

const rank = (l: Level) => LEVELS.indexOf(l);

/** Validates the profiles file against the schema and against the spec's chapters and IDs. */
export function parseProfiles(file: string, raw: unknown, index: SpecIndex): Profile[] {
  const result = profilesFileSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `field "${i.path.join('.') || '(root)'}": ${i.message}`);
    throw new SpecError('PROFILE_MALFORMED', `${file}: ${problems.join('; ')}`);
  }
  const slugs = new Set(index.chapters.map((c) => c.slug));
  const seen = new Set<string>();
  result.data.profiles.forEach((p, n) => {
    const at = (field: string) => `${file}: profiles.${n}.${field} (profile "${p.id}")`;
    if (seen.has(p.id)) throw new SpecError('PROFILE_MALFORMED', `${at('id')}: the id is used twice`);
    seen.add(p.id);
    p.chapters.forEach((c, i) => {
      if (!slugs.has(c)) throw new SpecError('PROFILE_MALFORMED', `${at(`chapters.${i}`)}: no chapter "${c}"`);
    });
    for (const [field, ids] of [['raise', Object.keys(p.raise ?? {})], ['exclude', Object.keys(p.exclude ?? {})]] as const) {
      for (const id of ids) {
        const req = index.requirements.get(id);
        if (!req) throw new SpecError('PROFILE_MALFORMED', `${at(`${field}.${id}`)}: no requirement ${id}`);
        if (!p.chapters.includes(req.chapter)) {
          throw new SpecError('PROFILE_MALFORMED', `${at(`${field}.${id}`)}: ${id} is in chapter "${req.chapter}", which the profile does not take`);
        }
      }
    }
    for (const [id, level] of Object.entries(p.raise ?? {})) {
      const req = index.requirements.get(id)!;
      if (rank(level) >= rank(req.level)) {
        throw new SpecError('PROFILE_MALFORMED', `${at(`raise.${id}`)}: ${level} does not raise ${id}, which is already ${req.level}`);
      }
      if (p.exclude?.[id] !== undefined) throw new SpecError('PROFILE_MALFORMED', `${at(`raise.${id}`)}: ${id} is both raised and excluded`);
    }
  });
  return result.data.profiles;
}

// #region profile-requirements
/** The requirements a profile selects, in spec order, each with the level the profile gives it. */
export function profileRequirements(profile: Profile, index: SpecIndex): ProfileRequirement[] {
  const chapters = new Set(profile.chapters);
  return [...index.requirements.values()]
    .filter((r) => chapters.has(r.chapter) && profile.exclude?.[r.id] === undefined)
    .map((r) => ({ ...r, profileLevel: profile.raise?.[r.id] ?? r.level }));
}
// #endregion profile-requirements
