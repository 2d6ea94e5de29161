// The numbers of the VIRTIO crypto device, VIRTIO 1.4 §5.9 (device ID 20): services, the
// algorithms this model implements, opcodes, status codes, feature bits and the configuration
// layout. Only what the model uses is named here; the rest of the algorithm lists are in §5.9.4.

export const VIRTIO_ID_CRYPTO = 20;

// #region feature-bits
/** §5.9.3: the revised request format (unpadded fixed-length fields, NOSPC, the session flag). */
export const VIRTIO_CRYPTO_F_REVISION_1 = 0;
/** §5.9.3: stateless requests per service; the model offers none of them. */
export const VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE = 1;
export const VIRTIO_CRYPTO_F_HASH_STATELESS_MODE = 2;
export const VIRTIO_CRYPTO_F_MAC_STATELESS_MODE = 3;
// #endregion feature-bits

// #region services
export const VIRTIO_CRYPTO_SERVICE_CIPHER = 0;
export const VIRTIO_CRYPTO_SERVICE_HASH = 1;
export const VIRTIO_CRYPTO_SERVICE_MAC = 2;
export const VIRTIO_CRYPTO_SERVICE_AEAD = 3;
export const VIRTIO_CRYPTO_SERVICE_AKCIPHER = 4;

/** Algorithm numbers (§5.9.4.1 to §5.9.4.3); each is also its bit in the configuration masks. */
export const VIRTIO_CRYPTO_CIPHER_AES_ECB = 2;
export const VIRTIO_CRYPTO_CIPHER_AES_CBC = 3;
export const VIRTIO_CRYPTO_CIPHER_AES_CTR = 4;
export const VIRTIO_CRYPTO_HASH_SHA_256 = 4;
export const VIRTIO_CRYPTO_MAC_HMAC_SHA_256 = 4;
// #endregion services

// #region opcodes
export const opcode = (service: number, op: number): number => ((service << 8) | op) >>> 0;
// Control queue (§5.9.9.2).
export const VIRTIO_CRYPTO_CIPHER_CREATE_SESSION = opcode(VIRTIO_CRYPTO_SERVICE_CIPHER, 0x02);
export const VIRTIO_CRYPTO_CIPHER_DESTROY_SESSION = opcode(VIRTIO_CRYPTO_SERVICE_CIPHER, 0x03);
export const VIRTIO_CRYPTO_HASH_CREATE_SESSION = opcode(VIRTIO_CRYPTO_SERVICE_HASH, 0x02);
export const VIRTIO_CRYPTO_HASH_DESTROY_SESSION = opcode(VIRTIO_CRYPTO_SERVICE_HASH, 0x03);
export const VIRTIO_CRYPTO_MAC_CREATE_SESSION = opcode(VIRTIO_CRYPTO_SERVICE_MAC, 0x02);
export const VIRTIO_CRYPTO_MAC_DESTROY_SESSION = opcode(VIRTIO_CRYPTO_SERVICE_MAC, 0x03);
export const VIRTIO_CRYPTO_AEAD_CREATE_SESSION = opcode(VIRTIO_CRYPTO_SERVICE_AEAD, 0x02);
export const VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION = opcode(VIRTIO_CRYPTO_SERVICE_AKCIPHER, 0x04);
// Data queues (§5.9.9.3).
export const VIRTIO_CRYPTO_CIPHER_ENCRYPT = opcode(VIRTIO_CRYPTO_SERVICE_CIPHER, 0x00);
export const VIRTIO_CRYPTO_CIPHER_DECRYPT = opcode(VIRTIO_CRYPTO_SERVICE_CIPHER, 0x01);
export const VIRTIO_CRYPTO_HASH = opcode(VIRTIO_CRYPTO_SERVICE_HASH, 0x00);
export const VIRTIO_CRYPTO_MAC = opcode(VIRTIO_CRYPTO_SERVICE_MAC, 0x00);
export const VIRTIO_CRYPTO_AEAD_ENCRYPT = opcode(VIRTIO_CRYPTO_SERVICE_AEAD, 0x00);

/** Direction of a cipher session (virtio_crypto_cipher_session_flf.op). */
export const VIRTIO_CRYPTO_OP_ENCRYPT = 1;
export const VIRTIO_CRYPTO_OP_DECRYPT = 2;
/** op_type of a symmetric session or data request. */
export const VIRTIO_CRYPTO_SYM_OP_NONE = 0;
export const VIRTIO_CRYPTO_SYM_OP_CIPHER = 1;
export const VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING = 2;
/** virtio_crypto_op_header.flag (meaningful once VIRTIO_CRYPTO_F_REVISION_1 is negotiated). */
export const VIRTIO_CRYPTO_FLAG_SESSION_MODE = 1;
// #endregion opcodes

// #region status
/** enum VIRTIO_CRYPTO_STATUS (§5.9.9.1). */
export const VIRTIO_CRYPTO_OK = 0;
export const VIRTIO_CRYPTO_ERR = 1;
export const VIRTIO_CRYPTO_BADMSG = 2;
export const VIRTIO_CRYPTO_NOTSUPP = 3;
export const VIRTIO_CRYPTO_INVSESS = 4;
export const VIRTIO_CRYPTO_NOSPC = 5;
export const VIRTIO_CRYPTO_KEY_REJECTED = 6;
// #endregion status

export const STATUS_NAMES: Record<number, string> = {
  0: 'OK', 1: 'ERR', 2: 'BADMSG', 3: 'NOTSUPP', 4: 'INVSESS', 5: 'NOSPC', 6: 'KEY_REJECTED',
};

// #region layouts
/** struct virtio_crypto_ctrl_header and struct virtio_crypto_op_header: 16 and 24 bytes. */
export const CTRL_HEADER_SIZE = 16; // opcode, algo, flag, reserved (le32 each)
export const OP_HEADER_SIZE = 24; // opcode, algo (le32), session_id (le64), flag, padding (le32)
/** Without VIRTIO_CRYPTO_F_REVISION_1 every control op_flf is padded to 56 bytes, every data op_flf to 48. */
export const CTRLQ_FLF_LEGACY = 56;
export const DATAQ_FLF_LEGACY = 48;
/** Natural op_flf sizes under VIRTIO_CRYPTO_F_REVISION_1. */
export const SYM_CREATE_SESSION_FLF = 56; // 48 bytes of cipher_session_flf (16 used) + op_type + padding
export const HASH_CREATE_SESSION_FLF = 8; // algo, hash_result_len
export const MAC_CREATE_SESSION_FLF = 16; // algo, hash_result_len, auth_key_len, padding
export const DESTROY_SESSION_FLF = 8; // session_id
export const SYM_DATA_FLF = 48; // 40 bytes of cipher_data_flf (16 used) + op_type + padding
export const HASH_DATA_FLF = 8; // src_data_len, hash_result_len
export const MAC_DATA_FLF = 8;
/** struct virtio_crypto_create_session_input: le64 session_id, le32 status, le32 padding. */
export const CREATE_SESSION_INPUT_SIZE = 16;
// #endregion layouts

// #region config-layout
/** struct virtio_crypto_config (§5.9.5): byte offsets; 56 bytes in all. */
export const CRYPTO_CFG = {
  status: 0,
  maxDataqueues: 4,
  cryptoServices: 8,
  cipherAlgoL: 12,
  cipherAlgoH: 16,
  hashAlgo: 20,
  macAlgoL: 24,
  macAlgoH: 28,
  aeadAlgo: 32,
  maxCipherKeyLen: 36,
  maxAuthKeyLen: 40,
  akcipherAlgo: 44,
  maxSize: 48, // le64
} as const;
export const CRYPTO_CONFIG_SIZE = 56;
export const VIRTIO_CRYPTO_S_HW_READY = 1;
// #endregion config-layout
