// Build errors of the spec site. Each names the file and the thing that is wrong, so a
// contributor can fix it from the message alone; `kind` lets tests tell them apart.

export type SpecErrorKind =
  | 'FRONTMATTER'
  | 'SOURCE_FILE_MISSING'
  | 'REGION_MISSING'
  | 'REGION_MALFORMED'
  | 'REQ_DUPLICATE'
  | 'REQ_MALFORMED'
  | 'REF_UNKNOWN'
  | 'VIRTIO_SECTION_UNKNOWN'
  | 'PROFILE_MALFORMED'
  | 'STATUS_MALFORMED'
  | 'PERFORMANCE_MALFORMED'
  | 'TERM_DUPLICATE'
  | 'TERM_UNDEFINED'
  | 'CHAPTER_MALFORMED'
  | 'EXAMPLE_FAILED'
  | 'TRACE_UNKNOWN_REQ'
  | 'TRACE_UNTESTED_MUST';

export class SpecError extends Error {
  readonly kind: SpecErrorKind;
  constructor(kind: SpecErrorKind, message: string) {
    super(message);
    this.name = `SpecError[${kind}]`;
    this.kind = kind;
  }
}
