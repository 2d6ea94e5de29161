// The RPMB device's configuration space, struct virtio_rpmb_config (VIRTIO 1.4 §5.12.4): three
// read-only bytes the device sets once.

// #region config-layout
export const RPMB_CFG_CAPACITY = 0; //   u8 capacity    (in 128 KiB units, 1 to 0x80 on an AVP platform)
export const RPMB_CFG_MAX_WR_CNT = 1; // u8 max_wr_cnt  (blocks in one authenticated write; 0: no limit)
export const RPMB_CFG_MAX_RD_CNT = 2; // u8 max_rd_cnt  (blocks in one authenticated read; 0: no limit)
export const RPMB_CONFIG_SIZE = 3;

/** The largest capacity VIRTIO allows: 0x80 units, 16 MiB. */
export const RPMB_MAX_CAPACITY = 0x80;
// #endregion config-layout

export interface RpmbGeometry {
  /** Capacity in 128 KiB units. */
  readonly capacity: number;
  readonly maxWrCnt: number;
  readonly maxRdCnt: number;
}

/** Why a geometry cannot be offered, or null. */
export function geometryError(g: RpmbGeometry): string | null {
  if (!Number.isInteger(g.capacity) || g.capacity < 1 || g.capacity > RPMB_MAX_CAPACITY) return `capacity ${g.capacity}: 1 to ${RPMB_MAX_CAPACITY} units of 128 KiB`;
  for (const [k, v] of [['maxWrCnt', g.maxWrCnt], ['maxRdCnt', g.maxRdCnt]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) return `${k} ${v}: 0 to 255`;
  }
  return null;
}
