// What a GPU device counts for the platform's diagnostics. A driver learns of an error only
// through the response type; the reason behind it (which check failed) is visible here.

// #region stats
export interface GpuStats {
  /** Requests answered, by response type name (OK_NODATA, ERR_INVALID_PARAMETER, ...). */
  readonly responses: Record<string, number>;
  /** Requests without room for even a response header: used length 0, nothing executed on the controlq. */
  unanswerable: number;
  /** Cursor commands executed without a response buffer (the usual case: drivers give none). */
  cursorWithoutResponse: number;
  /** The last error and why it was raised. */
  lastError: { readonly command: string; readonly response: string; readonly reason: string } | null;
  /** Fenced requests completed, and the highest fence_id seen. */
  fencesCompleted: number;
  lastFenceId: bigint;
}
// #endregion stats

export function newGpuStats(): GpuStats {
  return { responses: {}, unanswerable: 0, cursorWithoutResponse: 0, lastError: null, fencesCompleted: 0, lastFenceId: 0n };
}
