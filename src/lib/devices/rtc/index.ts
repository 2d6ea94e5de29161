// The RTC device (VIRTIO 1.4 §5.23), its model time (a gPTP domain, the host's disciplined TAI
// clock, the guest's counter) and a guest-side driver.
export * from './protocol.ts';
export * from './timebase.ts';
export * from './device.ts';
export * from './driver.ts';
