// A vendor writes device vectors for a block device, runs them against the reference model on both ring layouts, and sees what a failing case and a malformed file report.
import { conformance } from '../src/lib/index.ts';

const header = (type: number, sector: number) => {
  const b = new DataView(new ArrayBuffer(16));
  b.setUint32(0, type, true);
  b.setBigUint64(8, BigInt(sector), true);
  return [...new Uint8Array(b.buffer)].map((x) => x.toString(16).padStart(2, '0')).join('');
};
const disk = { model: 'virtio-blk', options: { sectors: 8, serial: 'VENDOR-TEST' } };

const file = {
  format: 'avp-device-vectors',
  version: 1,
  cases: [
    {
      name: 'write then read sector 7',
      requirements: ['AVP-BLK-9'],
      device: disk,
      steps: [
        { op: 'request', queue: 0, out: [header(1, 7), { repeat: '3c', times: 512 }], in: [1], expect: { len: 1, data: '00' } },
        { op: 'request', queue: 0, out: [header(0, 7)], in: [512, 1], expect: { len: 513, prefix: '3c3c3c3c', suffix: '3c00' } },
      ],
    },
    {
      name: 'sector 8 is past the end (this vendor expected OK, which is wrong)',
      device: disk,
      rings: ['packed'],
      steps: [{ op: 'request', queue: 0, out: [header(0, 8)], in: [512, 1], expect: { len: 513, suffix: '00' } }],
    },
  ],
};

const parsed = conformance.parseDeviceVectorFile('vendor-block.json', JSON.stringify(file));
for (const c of parsed.cases) {
  const r = conformance.runDeviceCase(c);
  if (r.ok) console.log(`ok    ${r.name} [${r.rings.join(', ')}]`);
  else console.log(`FAIL  ${r.name}\n      ${r.failure.ring} ring, step ${r.failure.step} (${r.failure.op}): ${r.failure.message}`);
}

console.log('\nmalformed files are refused before anything runs:');
const broken = [
  { ...file, cases: [{ ...file.cases[0], device: { model: 'virtio-blk', options: { sectors: 8, seriall: 'X' } } }] },
  { ...file, cases: [{ ...file.cases[0], device: { model: 'virtio-disk' } }] },
  { ...file, version: 2 },
];
for (const b of broken) {
  try {
    conformance.parseDeviceVectorFile('vendor-block.json', JSON.stringify(b));
  } catch (e) {
    console.log(`  ${(e as Error).message}`);
  }
}
