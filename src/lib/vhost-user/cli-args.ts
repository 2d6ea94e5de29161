// The command line of `npm run vhost-user`, parsed and checked apart from the program itself.
import { checkOptions, DEVICE_NAMES, DEVICE_OPTIONS, type DeviceName, type DeviceOptions } from './devices.ts';

export const USAGE = `usage: npm run vhost-user -- --device <${DEVICE_NAMES.join('|')}> --socket PATH [options]
       npm run vhost-user -- --help

device options:
${DEVICE_NAMES.map((d) => `  ${d}: ${Object.entries(DEVICE_OPTIONS[d]).map(([k, v]) => `\n    --${k}  ${v}`).join('') || '(none)'}`).join('\n')}
  --quiet  log errors only`;

export function parseArgs(argv: readonly string[]): { device: DeviceName; socket: string; opts: DeviceOptions; quiet: boolean } {
  let device: string | undefined;
  let socket: string | undefined;
  let quiet = false;
  const opts: DeviceOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new RangeError(`unexpected argument "${a}"`);
    const key = a.slice(2);
    const next = argv[i + 1];
    const value = next !== undefined && !next.startsWith('--') ? (i++, next) : true;
    if (key === 'device' || key === 'socket') {
      if (value === true) throw new RangeError(`--${key} needs a value`);
      if (key === 'device') device = value;
      else socket = value;
    } else if (key === 'quiet') quiet = true;
    else opts[key] = value;
  }
  if (!device) throw new RangeError('--device is required');
  if (!(DEVICE_NAMES as readonly string[]).includes(device)) throw new RangeError(`--device ${device}: one of ${DEVICE_NAMES.join(', ')}`);
  if (!socket) throw new RangeError('--socket is required');
  checkOptions(device as DeviceName, opts);
  return { device: device as DeviceName, socket, opts, quiet };
}

