// Two guests share one HSM through their own virtio-crypto devices: each encrypts and MACs with keys the platform provisioned by handle, and the HSM refuses the other guest's handles and sessions, a use the key's policy forbids, and key bytes sent by a guest.
import { crypto, Loopback } from '../src/lib/index.ts';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const status = (s: number) => crypto.STATUS_NAMES[s] ?? String(s);

// The platform provisions keys into the HSM, per guest. The guests never see these bytes.
const hsm = new crypto.Hsm({ maxSessionsPerGuest: 4, acceptGuestKeys: false });
const bytes = (seed: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (seed + 29 * i) & 0xff);
hsm.provision('cluster', 1, { kind: 'hmac', bytes: bytes(0x11, 32), uses: ['mac'] });
hsm.provision('ivi', 1, { kind: 'aes', bytes: bytes(0x42, 16), uses: ['encrypt', 'decrypt'] });
hsm.provision('ivi', 2, { kind: 'aes', bytes: bytes(0x99, 32), uses: ['encrypt'] });
for (const [g, h] of [['cluster', 1], ['ivi', 1], ['ivi', 2]] as const) {
  const k = hsm.describe(g, h)!;
  console.log(`provisioned ${g} handle ${h}: ${k.kind}, ${k.length} bytes, uses ${k.uses.join('+')}`);
}

function boot(guest: string, ring: 'split' | 'packed') {
  const dev = new crypto.CryptoDevice({ hsm, guest });
  const client = new crypto.CryptoClient(new Loopback(dev, { ring }));
  const cfg = dev.config;
  console.log(
    `${guest} (${ring} ring): device ID ${dev.deviceId}, services 0x${cfg.u32(crypto.CRYPTO_CFG.cryptoServices).toString(16)}, cipher 0x${cfg.u32(crypto.CRYPTO_CFG.cipherAlgoL).toString(16)}, hash 0x${cfg.u32(crypto.CRYPTO_CFG.hashAlgo).toString(16)}, mac 0x${cfg.u32(crypto.CRYPTO_CFG.macAlgoL).toString(16)}, REVISION_1 ${client.rev1}`,
  );
  return { dev, client };
}
const cluster = boot('cluster', 'packed');
const ivi = boot('ivi', 'split');

console.log('\nthe IVI encrypts a map tile with AES-128-CBC on handle 1, and decrypts it again');
const CBC = crypto.VIRTIO_CRYPTO_CIPHER_AES_CBC;
const iv = bytes(0x01, 16);
const tile = new TextEncoder().encode('tile 48.137,11.575 zoom 14 .....');
const e = ivi.client.cipherSession(CBC, crypto.VIRTIO_CRYPTO_OP_ENCRYPT, crypto.keyToken(1));
const d = ivi.client.cipherSession(CBC, crypto.VIRTIO_CRYPTO_OP_DECRYPT, crypto.keyToken(1));
const ct = ivi.client.encrypt(e.id, CBC, iv, tile);
console.log(`  sessions ${e.id} and ${d.id}; ${tile.length} bytes -> ${status(ct.status)} ${hex(ct.out)}`);
const pt = ivi.client.decrypt(d.id, CBC, iv, ct.out);
console.log(`  decrypted: ${status(pt.status)} "${new TextDecoder().decode(pt.out)}"`);

console.log('\nthe cluster MACs a CAN payload with HMAC-SHA256 on its handle 1, truncated to 16 bytes');
const m = cluster.client.macSession(crypto.keyToken(1), 16);
const tag = cluster.client.mac(m.id, Uint8Array.of(0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef), 16);
console.log(`  session ${m.id}: ${status(tag.status)} ${hex(tag.out)}`);

console.log('\nwhat the HSM refuses');
const show = (what: string, s: number) => console.log(`  ${what}: ${status(s)}`);
show('the cluster opens a session on handle 2 (the IVI holds one, the cluster none)', cluster.client.cipherSession(CBC, crypto.VIRTIO_CRYPTO_OP_ENCRYPT, crypto.keyToken(2)).status);
show('the cluster opens a session on handle 7 (nobody holds one)', cluster.client.cipherSession(CBC, crypto.VIRTIO_CRYPTO_OP_ENCRYPT, crypto.keyToken(7)).status);
show('the IVI decrypts with handle 2 (encrypt only)', ivi.client.cipherSession(CBC, crypto.VIRTIO_CRYPTO_OP_DECRYPT, crypto.keyToken(2)).status);
show('the IVI uses AES handle 1 as an HMAC key', ivi.client.macSession(crypto.keyToken(1)).status);
show('the IVI sends key bytes of its own', ivi.client.cipherSession(CBC, crypto.VIRTIO_CRYPTO_OP_ENCRYPT, bytes(0x42, 16)).status);
show(`the IVI MACs with the cluster's session ${m.id}`, ivi.client.mac(m.id, Uint8Array.of(1), 16).status);
show(`the IVI destroys the cluster's session ${m.id}`, ivi.client.destroy(crypto.VIRTIO_CRYPTO_MAC_DESTROY_SESSION, m.id));
show(`the cluster MACs again with session ${m.id}`, cluster.client.mac(m.id, Uint8Array.of(1), 16).status);
console.log(`  refusals counted by the HSM: ${JSON.stringify(hsm.refusals)}`);

console.log('\nthe IVI is reset: its sessions go, the cluster keeps its own');
ivi.dev.reset();
console.log(`  sessions: cluster ${hsm.sessionCount('cluster')}, ivi ${hsm.sessionCount('ivi')}`);
