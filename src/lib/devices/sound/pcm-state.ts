// The PCM command lifecycle (VIRTIO 1.4 §5.14.6.6.1): which command may follow which. A
// command the table does not allow is answered VIRTIO_SND_S_BAD_MSG and changes nothing; it
// never stops a queue. A stream starts with no parameters, where only SET_PARAMS is allowed.
import {
  VIRTIO_SND_R_PCM_PREPARE,
  VIRTIO_SND_R_PCM_RELEASE,
  VIRTIO_SND_R_PCM_SET_PARAMS,
  VIRTIO_SND_R_PCM_START,
  VIRTIO_SND_R_PCM_STOP,
} from './protocol.ts';

// #region pcm-state
/** The state a stream is in: the last command that succeeded, or 'idle' before the first. */
export type PcmState = 'idle' | 'params-set' | 'prepared' | 'running' | 'stopped' | 'released';

export type PcmCommand = 'SET_PARAMS' | 'PREPARE' | 'START' | 'STOP' | 'RELEASE';

/** For each state, the commands VIRTIO lists as valid transitions out of it. */
export const PCM_TRANSITIONS: Readonly<Record<PcmState, readonly PcmCommand[]>> = {
  idle: ['SET_PARAMS'],
  'params-set': ['SET_PARAMS', 'PREPARE'],
  prepared: ['SET_PARAMS', 'PREPARE', 'START', 'RELEASE'],
  running: ['STOP'],
  stopped: ['START', 'RELEASE'],
  released: ['SET_PARAMS', 'PREPARE'],
};

/** The state a command leads to. */
export const PCM_TARGET: Readonly<Record<PcmCommand, PcmState>> = {
  SET_PARAMS: 'params-set',
  PREPARE: 'prepared',
  START: 'running',
  STOP: 'stopped',
  RELEASE: 'released',
};
// #endregion pcm-state

export const PCM_COMMAND_CODES: Readonly<Record<number, PcmCommand>> = {
  [VIRTIO_SND_R_PCM_SET_PARAMS]: 'SET_PARAMS',
  [VIRTIO_SND_R_PCM_PREPARE]: 'PREPARE',
  [VIRTIO_SND_R_PCM_START]: 'START',
  [VIRTIO_SND_R_PCM_STOP]: 'STOP',
  [VIRTIO_SND_R_PCM_RELEASE]: 'RELEASE',
};

export function allowed(state: PcmState, cmd: PcmCommand): boolean {
  return PCM_TRANSITIONS[state].includes(cmd);
}

/** States in which a stream holds I/O messages: it has resources (after PREPARE) and not yet released. */
export function acceptsIo(state: PcmState): boolean {
  return state === 'prepared' || state === 'running' || state === 'stopped';
}
