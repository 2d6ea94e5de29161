// `npm run vhost-user -- --device <rng|blk|net|vsock|fs> --socket PATH [device options]`:
// serves one reference device model to a vhost-user front end (QEMU, crosvm, cloud-hypervisor).
import { parseArgs, USAGE } from './cli-args.ts';
import { buildDevice } from './devices.ts';
import { SocketInUseError, VhostUserServer } from './server.ts';

function main(): void {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  let args;
  let built;
  try {
    args = parseArgs(argv);
    built = buildDevice(args.device, args.opts); // options checked before the socket is taken
  } catch (e) {
    console.error(`vhost-user: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const { device, socket, quiet } = args;
  const d = built;
  let server: VhostUserServer;
  try {
    server = new VhostUserServer({
      socketPath: socket,
      // One device for the life of the process: a front end that reconnects finds its disk as it left it.
      device: () => d,
      log: (level, msg) => {
        if (level === 'info' && quiet) return;
        (level === 'info' ? console.log : console.error)(`vhost-user ${device} ${level}: ${msg}`);
      },
    });
  } catch (e) {
    const why = e instanceof SocketInUseError ? e.message : `cannot listen on ${socket}: ${(e as Error).message}`;
    console.error(`vhost-user: ${why}`);
    process.exit(1);
  }
  console.log(`vhost-user: serving ${d.device.name} (${d.description}) on ${socket}`);
  const stop = () => {
    server.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
