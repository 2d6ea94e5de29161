// The ring layouts a device test runs over: every test of a device model repeats for each.
import type { RingType } from '../../src/lib/virtio/queue-factory.ts';

export const RING_TYPES: readonly RingType[] = ['split', 'packed'];
