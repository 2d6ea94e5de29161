// Browser tests need Debian's Chromium (see ensure-debian.mjs).
import { ensureDebianTool } from './ensure-debian.mjs';

export const ensureChromium = () => ensureDebianTool({ path: '/usr/bin/chromium', envVar: 'CHROMIUM_PATH', pkg: 'chromium', purpose: 'the browser tests' });
