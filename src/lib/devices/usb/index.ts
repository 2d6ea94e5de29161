// The AVP's USB policy model: strict descriptor parsing, the platform's rule table that routes
// each device to at most one guest, and the hot-plug router with its rate limit and quarantine.
// Not a VIRTIO device: VIRTIO 1.4 reserves device ID 49 for a USB controller and defines nothing.
export * from './descriptors.ts';
export * from './policy.ts';
export * from './router.ts';
