// The driver's side over a Loopback: sends the requests of requests.ts on the control queue or a
// data queue and decodes the answers. Tests and examples use it; it knows nothing of keys.
import type { Loopback } from '../../virtio/loopback.ts';
import { hasFeature } from '../../virtio/feature-bits.ts';
import * as C from './constants.ts';
import * as R from './requests.ts';

export interface SessionAnswer {
  readonly status: number;
  readonly id: bigint;
}

export interface DataAnswer {
  readonly status: number;
  readonly out: Uint8Array;
}

export class CryptoClient {
  readonly lb: Loopback;
  readonly rev1: boolean;
  readonly controlQueue: number;

  constructor(lb: Loopback) {
    this.lb = lb;
    this.rev1 = hasFeature(lb.features, C.VIRTIO_CRYPTO_F_REVISION_1);
    this.controlQueue = lb.queues.length - 1;
  }

  private control(r: R.CryptoRequest): SessionAnswer {
    const c = this.lb.request(this.controlQueue, r.out, r.inLens);
    return c.len >= C.CREATE_SESSION_INPUT_SIZE ? R.parseCreateSessionInput(c.data) : { status: -1, id: 0n };
  }

  private data(r: R.CryptoRequest, queue: number): DataAnswer {
    const c = this.lb.request(queue, r.out, r.inLens);
    return R.parseDataAnswer(c.data, c.len);
  }

  cipherSession(algo: number, op: number, key: Uint8Array): SessionAnswer {
    return this.control(R.cipherSessionRequest({ algo, op, key }));
  }

  hashSession(resultLen = 32): SessionAnswer {
    return this.control(R.hashSessionRequest({ resultLen, rev1: this.rev1 }));
  }

  macSession(key: Uint8Array, resultLen = 32): SessionAnswer {
    return this.control(R.macSessionRequest({ key, resultLen, rev1: this.rev1 }));
  }

  destroy(opcode: number, id: bigint): number {
    const r = R.destroySessionRequest({ opcode, id, rev1: this.rev1 });
    const c = this.lb.request(this.controlQueue, r.out, r.inLens);
    return c.len === 1 ? c.data[0] : -1;
  }

  encrypt(id: bigint, algo: number, iv: Uint8Array, src: Uint8Array, queue = 0): DataAnswer {
    return this.data(R.cipherDataRequest({ opcode: C.VIRTIO_CRYPTO_CIPHER_ENCRYPT, algo, id, iv, src }), queue);
  }

  decrypt(id: bigint, algo: number, iv: Uint8Array, src: Uint8Array, queue = 0): DataAnswer {
    return this.data(R.cipherDataRequest({ opcode: C.VIRTIO_CRYPTO_CIPHER_DECRYPT, algo, id, iv, src }), queue);
  }

  hash(id: bigint, src: Uint8Array, resultLen = 32, queue = 0): DataAnswer {
    return this.data(R.digestDataRequest({ opcode: C.VIRTIO_CRYPTO_HASH, algo: C.VIRTIO_CRYPTO_HASH_SHA_256, id, src, resultLen, rev1: this.rev1 }), queue);
  }

  mac(id: bigint, src: Uint8Array, resultLen = 32, queue = 0): DataAnswer {
    return this.data(R.digestDataRequest({ opcode: C.VIRTIO_CRYPTO_MAC, algo: C.VIRTIO_CRYPTO_MAC_HMAC_SHA_256, id, src, resultLen, rev1: this.rev1 }), queue);
  }
}
