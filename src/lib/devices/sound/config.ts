// The sound device's configuration space, struct virtio_snd_config (VIRTIO 1.4 §5.14.4): four
// little-endian counts, all read-only for the driver. The driver learns what each jack, stream
// and channel map is by query requests on the controlq; the counts bound the IDs it may ask for.

// #region config-layout
export const SND_CFG_JACKS = 0; //    le32 jacks
export const SND_CFG_STREAMS = 4; //  le32 streams
export const SND_CFG_CHMAPS = 8; //   le32 chmaps
export const SND_CFG_CONTROLS = 12; // le32 controls (meaningful only with VIRTIO_SND_F_CTLS)
export const SND_CONFIG_SIZE = 16;

/** Feature bit 0: the device has control elements. The model has none and does not offer it. */
export const VIRTIO_SND_F_CTLS = 0;
// #endregion config-layout

/** The device ID of the sound device (§5.14.1). */
export const VIRTIO_ID_SOUND = 25;

// #region queues
export const SND_CONTROLQ = 0;
export const SND_EVENTQ = 1;
export const SND_TXQ = 2;
export const SND_RXQ = 3;
// #endregion queues
