// The AVP watchdog: a platform service reached over vsock, with a first stage signalled to the
// guest, a second stage that resets it, and a supervisor's log.
export * from './service.ts';
