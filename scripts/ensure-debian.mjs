// Programs from Debian that some tests run (Chromium for the browser tests, dtc for the
// device-tree checks). Install one when we can (root with apt-get, as in CI), otherwise say
// exactly what is missing and how to provide it.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/**
 * The path of a program from a Debian package, installing the package if it is missing.
 * @param {{ path: string, envVar: string, pkg: string, purpose: string }} tool
 */
export function ensureDebianTool({ path: defaultPath, envVar, pkg, purpose }) {
  const path = process.env[envVar] ?? defaultPath;
  if (existsSync(path)) return path;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    throw new Error(`${path} is missing. Install Debian's package (sudo apt-get install -y ${pkg}) or set ${envVar}.`);
  }
  console.log(`Installing ${pkg} from Debian for ${purpose}…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', pkg]]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status})`);
  }
  if (!existsSync(path)) throw new Error(`apt-get installed ${pkg} but ${path} is still missing`);
  return path;
}
