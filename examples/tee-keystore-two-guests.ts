// Two guests keep keys in one TEE's key-store application through the AVP relay; the IVI names the cluster's session and shared memory and is refused; the TEE fails mid-call, every session ends, and after the restart each guest finds its own keys and nothing else.
import { GuestMemory, tee as T } from '../src/lib/index.ts';

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
const show = (r: T.TeeReply) => `${T.teecName(r.code)} from ${T.originName(r.origin)}`;
const slots = (r: T.TeeReply) => (r.params?.[0] as { a: number } | undefined)?.a.toString(2).padStart(4, '0');

const os = new T.TrustedOs({ tas: [T.keystoreTa], capacity: { sessions: 8, shmRegions: 16, shmBytes: 128 * 1024 } });
const relay = new T.TeeRelay({ tee: os });
const clusterMem = GuestMemory.create(0x10000);
const iviMem = GuestMemory.create(0x10000);
const cluster = new T.TeeClient(relay.attach(1, { identity: 'cluster', memory: clusterMem }));
const ivi = new T.TeeClient(relay.attach(2, { identity: 'ivi', memory: iviMem }));

// The cluster shares one page, generates a key in slot 0 and MACs its odometer record there.
const record = new TextEncoder().encode('odometer=123456 km');
clusterMem.write(0x1000, record);
let page = cluster.register(0x1000, 0x1000).handle!;
let s1 = cluster.open(T.KEYSTORE_UUID).session!;
cluster.invoke(s1, T.KS_CMD_GENERATE, [T.param.value(0)]);
const mac = () => {
  const r = cluster.invoke(s1, T.KS_CMD_MAC, [T.param.value(0), T.param.memIn(page, 0, record.length), T.param.memOut(page, 0x100, 32)]);
  return r.code === T.TEEC_SUCCESS ? `${hex(clusterMem.read(0x1100, 8))}...` : show(r);
};
console.log(`cluster: page handle 0x${page.toString(16)}, session ${s1}, MAC ${mac()}`);

// The IVI's key store is its own: its slot 0 is empty, whatever the cluster keeps in slot 0.
const ivPage = ivi.register(0x2000, 64).handle!;
iviMem.write(0x2000, new Uint8Array(32).fill(0x5a));
const s2 = ivi.open(T.KEYSTORE_UUID).session!;
console.log(`ivi: session ${s2}, slots in use ${slots(ivi.invoke(s2, T.KS_CMD_LIST, [T.param.valueOut()]))}`);
ivi.invoke(s2, T.KS_CMD_IMPORT, [T.param.value(1), T.param.memIn(ivPage, 0, 32)]);
console.log(`ivi: imported a key into slot 1, slots in use ${slots(ivi.invoke(s2, T.KS_CMD_LIST, [T.param.valueOut()]))}`);

// The IVI tries the cluster's session and page, a session nobody has, and the cluster's VM ID.
const tries: [string, unknown][] = [
  ["invoke the cluster's session", { op: 'invoke', vmId: 2, session: s1, command: T.KS_CMD_LIST, params: [T.param.valueOut()] }],
  ['invoke session 999', { op: 'invoke', vmId: 2, session: 999, command: T.KS_CMD_LIST, params: [T.param.valueOut()] }],
  ["MAC from the cluster's page", { op: 'invoke', vmId: 2, session: s2, command: T.KS_CMD_MAC, params: [T.param.value(1), T.param.memIn(page, 0, 32), T.param.memOut(ivPage, 0, 32)] }],
  ["unregister the cluster's page", { op: 'unregister-shm', vmId: 2, handle: page }],
  ['close a session as VM 1', { op: 'close-session', vmId: 1, session: s1 }],
];
for (const [what, req] of tries) console.log(`ivi: ${what.padEnd(30)} -> ${show(ivi.channel.call(req))}`);
console.log(`supervisor: refused ${relay.log.flatMap((e) => (e.kind === 'refused' ? [e.reason] : [])).join(', ')}`);
console.log(`cluster: session ${s1} unharmed, MAC ${mac()}`);

// The TEE fails while it serves the cluster. Every guest's sessions end, and every guest is told.
os.panicOnNextEntry();
console.log(`cluster: MAC as the TEE fails -> ${mac()}`);
console.log(`ivi: its own session ${s2} -> ${show(ivi.invoke(s2, T.KS_CMD_LIST, [T.param.valueOut()]))}`);
for (const [name, c] of [['cluster', cluster], ['ivi', ivi]] as const) {
  const before = [...c.sessions].join(',');
  c.poll(); // reads the notice, closes what ended, forgets the revoked regions
  console.log(`${name}: told the TEE failed; ended session ${before}, now holds ${c.sessions.size} sessions and ${c.handles.size} regions`);
}

// The platform restarts the TEE. The TEE numbers its sessions from 1 again; the relay's
// identifiers are new, and each guest's keys are where it left them.
relay.restartTee();
cluster.poll();
ivi.poll();
page = cluster.register(0x1000, 0x1000).handle!;
s1 = cluster.open(T.KEYSTORE_UUID).session!;
ivi.register(0x2000, 64);
const s4 = ivi.open(T.KEYSTORE_UUID).session!;
console.log(`after restart: cluster session ${s1}, ivi session ${s4}; cluster MAC ${mac()} (the same key)`);
console.log(`ivi: slots in use ${slots(ivi.invoke(s4, T.KS_CMD_LIST, [T.param.valueOut()]))}; its old session ${s2} -> ${show(ivi.invoke(s2, T.KS_CMD_LIST, [T.param.valueOut()]))}`);

// The IVI is destroyed: its session is closed in the TEE before its memory may be used again.
const rep = relay.destroyGuest(2);
console.log(`ivi destroyed: closed session ${rep.closed.join(',')}, regions reclaimed ${rep.reclaimed.length}, memory reusable: ${relay.mayReuseMemory(2)}; TEE sessions: cluster ${os.sessionCount(1)}, ivi ${os.sessionCount(2)}`);
