// A small trusted application behind the TEE: a key store. A guest keeps HMAC-SHA256 keys in
// numbered slots and asks for MACs with them; no command gives a key back, so a compromised
// guest kernel can use its keys while it runs but cannot carry them away. Slots belong to the
// client identity the TEE passes (the guest's configured name), so two guests that both use
// slot 0 have two different keys, and a guest that is reset finds its keys again.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { TaContext, TaMemref, TaParam, TaSession, TaValue, TrustedApp } from './trusted-os.ts';
import {
  TEEC_ERROR_ACCESS_CONFLICT, TEEC_ERROR_BAD_PARAMETERS, TEEC_ERROR_ITEM_NOT_FOUND, TEEC_ERROR_NOT_SUPPORTED, TEEC_ERROR_SHORT_BUFFER,
  TEEC_SUCCESS,
} from './results.ts';

// #region keystore-commands
export const KEYSTORE_UUID = '6b657973-746f-7265-8000-415650544545';
export const KEYSTORE_SLOTS = 16;
export const KEYSTORE_MAC_SIZE = 32;
export const KEYSTORE_MAX_MESSAGE = 4096;

/** params: [value-input slot]. Makes a 32-byte key inside the TA; ACCESS_CONFLICT if the slot holds one. */
export const KS_CMD_GENERATE = 0;
/** params: [value-input slot, memref-input key of 16 to 64 bytes]. */
export const KS_CMD_IMPORT = 1;
/** params: [value-input slot, memref-input message, memref-output of at least 32 bytes]. */
export const KS_CMD_MAC = 2;
/** params: [value-input slot]. ITEM_NOT_FOUND if the slot is empty. */
export const KS_CMD_DELETE = 3;
/** params: [value-output]: a = bitmap of the slots that hold a key. */
export const KS_CMD_LIST = 4;
// #endregion keystore-commands

const isValue = (p: TaParam | undefined, type: TaValue['type']): p is TaValue => p?.type === type;
const isMemref = (p: TaParam | undefined, type: TaMemref['type']): p is TaMemref => p?.type === type;
const slotOf = (p: TaParam | undefined): string | null => (isValue(p, 'value-input') && p.a < KEYSTORE_SLOTS ? String(p.a) : null);
/** Exactly `n` parameters, the rest none: a command does not silently ignore what it was sent. */
const arity = (params: TaParam[], n: number) => params.slice(n).every((p) => p.type === 'none');

// #region keystore-invoke
class KeystoreSession implements TaSession {
  private readonly ctx: TaContext;

  constructor(ctx: TaContext) {
    this.ctx = ctx;
  }

  invoke(command: number, params: TaParam[]): number {
    const keys = this.ctx.storage;
    switch (command) {
      case KS_CMD_GENERATE: {
        const slot = slotOf(params[0]);
        if (slot === null || !arity(params, 1)) return TEEC_ERROR_BAD_PARAMETERS;
        if (keys.has(slot)) return TEEC_ERROR_ACCESS_CONFLICT;
        keys.set(slot, this.ctx.random(32));
        return TEEC_SUCCESS;
      }
      case KS_CMD_IMPORT: {
        const slot = slotOf(params[0]);
        const key = params[1];
        if (slot === null || !isMemref(key, 'memref-input') || key.capacity < 16 || key.capacity > 64 || !arity(params, 2)) return TEEC_ERROR_BAD_PARAMETERS;
        if (keys.has(slot)) return TEEC_ERROR_ACCESS_CONFLICT;
        keys.set(slot, key.read());
        return TEEC_SUCCESS;
      }
      case KS_CMD_MAC: {
        const slot = slotOf(params[0]);
        const msg = params[1];
        const out = params[2];
        if (slot === null || !isMemref(msg, 'memref-input') || msg.capacity > KEYSTORE_MAX_MESSAGE || !isMemref(out, 'memref-output') || !arity(params, 3)) {
          return TEEC_ERROR_BAD_PARAMETERS;
        }
        const key = keys.get(slot);
        if (!key) return TEEC_ERROR_ITEM_NOT_FOUND;
        out.size = KEYSTORE_MAC_SIZE; // on a short buffer, the size the guest must offer
        if (out.capacity < KEYSTORE_MAC_SIZE) return TEEC_ERROR_SHORT_BUFFER;
        out.write(hmac(sha256, key, msg.read()));
        return TEEC_SUCCESS;
      }
      case KS_CMD_DELETE: {
        const slot = slotOf(params[0]);
        if (slot === null || !arity(params, 1)) return TEEC_ERROR_BAD_PARAMETERS;
        return keys.delete(slot) ? TEEC_SUCCESS : TEEC_ERROR_ITEM_NOT_FOUND;
      }
      case KS_CMD_LIST: {
        const out = params[0];
        if (!isValue(out, 'value-output') || !arity(params, 1)) return TEEC_ERROR_BAD_PARAMETERS;
        out.a = [...keys.keys()].reduce((m, s) => m | (1 << Number(s)), 0);
        out.b = 0;
        return TEEC_SUCCESS;
      }
      default:
        return TEEC_ERROR_NOT_SUPPORTED;
    }
  }

  close(): void {}
}
// #endregion keystore-invoke

export const keystoreTa: TrustedApp = {
  uuid: KEYSTORE_UUID,
  name: 'key store',
  open(ctx, params) {
    // The key store takes no parameters when a session opens.
    if (!params.every((p) => p.type === 'none')) return { code: TEEC_ERROR_BAD_PARAMETERS };
    return { code: TEEC_SUCCESS, session: new KeystoreSession(ctx) };
  },
};
