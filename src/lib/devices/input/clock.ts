// Model time for input latency. The reference implementation runs in one thread without real
// time, so a platform's timing is modelled: a clock that tests and examples move forward, the
// time a physical event happened, and the time its frame was placed in a guest's eventq.

// #region clock
// The clock is the core's model clock (src/lib/virtio/model-clock.ts), in microseconds.
export { ModelClock } from '../../virtio/model-clock.ts';
// #endregion clock
