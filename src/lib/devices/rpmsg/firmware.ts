// A remote core's firmware image as the model loads it. A real image is an ELF file whose
// ".resource_table" section holds the resource table (Linux: rproc_elf_load_rsc_table); the
// model keeps the table and the rest of the image as separate byte strings, and the behaviour
// the code stands for as service factories. The platform approves images by a SHA-256 digest
// over both byte strings, the stand-in for the signature check a production platform makes:
// change a byte of either after approval and the image no longer loads.
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../../virtio/bytes.ts';
import type { ServiceFactory } from './services.ts';

// #region firmware-image
export interface FirmwareImage {
  readonly name: string;
  /** The image without its resource table (code and data segments). */
  readonly code: Uint8Array;
  /** The ".resource_table" section. */
  readonly resourceTable: Uint8Array;
  /** The services the firmware creates when it runs, in the order it creates them. */
  readonly services: readonly ServiceFactory[];
  /** Model time from the release of the core's reset to its services existing, in µs. */
  readonly bootUs: number;
}
// #endregion firmware-image

/** SHA-256 over the code and the resource table, as lower-case hex. */
export function imageDigest(image: FirmwareImage): string {
  const d = sha256(concatBytes(image.code, image.resourceTable));
  return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('');
}
