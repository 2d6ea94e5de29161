// The device discovery tests check generated device trees with Debian's device tree compiler
// (see ensure-debian.mjs).
import { ensureDebianTool } from './ensure-debian.mjs';

export const ensureDtc = () => ensureDebianTool({ path: '/usr/bin/dtc', envVar: 'DTC_PATH', pkg: 'device-tree-compiler', purpose: 'the discovery tests' });
