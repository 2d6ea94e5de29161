// `npm run conformance -- <file-or-folder> …`: replays conformance vector files against the
// reference implementation, one line per case and a closing summary; exits 1 on any failure
// or malformed file. Without arguments it runs the vectors shipped with the spec.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { vectorJsonSchema } from '../src/lib/conformance/vector-schema.ts';
import { vectorJsonSchemaV1 } from '../src/lib/conformance/vector-schema-v1.ts';
import { parseVectorFile } from '../src/lib/conformance/parse-vector.ts';
import { formatVectorJson } from '../src/lib/conformance/vector-json.ts';
import { deviceVectorJsonSchema } from '../src/lib/conformance/device-vector-schema.ts';
import { DEVICE_SCHEMA_FILE, DEVICE_VECTORS_DIR, loadAnyVectorFile, runAnyVectorFile, SCHEMA_FILE, SCHEMA_FILE_V1, TRANSPORT_SCHEMA_FILE, TRANSPORT_VECTORS_DIR, VECTORS_DIR, vectorPaths } from '../src/lib/spec/vector-files.ts';
import { transportVectorJsonSchema } from '../src/lib/conformance/transport-vector-schema.ts';

const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log(`usage: npm run conformance -- [file-or-folder …]   (default: ${VECTORS_DIR}, ${DEVICE_VECTORS_DIR} and ${TRANSPORT_VECTORS_DIR})`);
  console.log(`       npm run conformance -- --write-schema           (regenerates ${join(VECTORS_DIR, SCHEMA_FILE)}, ${SCHEMA_FILE_V1} and ${join(DEVICE_VECTORS_DIR, DEVICE_SCHEMA_FILE)})`);
  console.log('       npm run conformance -- --upgrade <file> …     (rewrites version 1 virtqueue vector files as version 2)');
  console.log('A file is a virtqueue, device or transport vector file according to its "format" field.');
  process.exit(0);
}
if (args[0] === '--upgrade') {
  // Version 1 virtqueue vector files, rewritten in place as version 2; other files are left alone.
  let failures = 0;
  for (const path of args.slice(1)) {
    try {
      const text = readFileSync(path, 'utf8');
      const head = JSON.parse(text);
      if (head.format !== 'avp-virtqueue-vectors' || head.version !== 1) {
        console.log(`skip  ${path}: not a version 1 virtqueue vector file`);
        continue;
      }
      writeFileSync(path, formatVectorJson(parseVectorFile(path, text)));
      console.log(`wrote ${path} as version 2`);
    } catch (e) {
      failures++;
      console.log(`ERROR ${e.message}`);
    }
  }
  process.exit(failures ? 1 : 0);
}
if (args.includes('--write-schema')) {
  writeFileSync(join(VECTORS_DIR, SCHEMA_FILE), JSON.stringify(vectorJsonSchema(), null, 2) + '\n');
  writeFileSync(join(VECTORS_DIR, SCHEMA_FILE_V1), JSON.stringify(vectorJsonSchemaV1(), null, 2) + '\n');
  writeFileSync(join(TRANSPORT_VECTORS_DIR, TRANSPORT_SCHEMA_FILE), JSON.stringify(transportVectorJsonSchema(), null, 2) + '\n');
  writeFileSync(join(DEVICE_VECTORS_DIR, DEVICE_SCHEMA_FILE), JSON.stringify(deviceVectorJsonSchema(), null, 2) + '\n');
  console.log(`wrote ${join(VECTORS_DIR, SCHEMA_FILE)}, ${join(VECTORS_DIR, SCHEMA_FILE_V1)}, ${join(DEVICE_VECTORS_DIR, DEVICE_SCHEMA_FILE)} and ${join(TRANSPORT_VECTORS_DIR, TRANSPORT_SCHEMA_FILE)}`);
  process.exit(0);
}
let passed = 0;
let failed = 0;
let badFiles = 0;
let paths;
try {
  paths = vectorPaths(args.length ? args : [VECTORS_DIR, DEVICE_VECTORS_DIR, TRANSPORT_VECTORS_DIR]);
} catch (e) {
  console.error(`conformance: ${e.message}`);
  process.exit(2);
}
for (const path of paths) {
  let loaded;
  try {
    loaded = loadAnyVectorFile(path);
  } catch (e) {
    badFiles++;
    console.log(`ERROR ${e.message}`);
    continue;
  }
  for (const r of runAnyVectorFile(loaded)) {
    if (r.ok) {
      passed++;
      console.log(`ok    ${loaded.file} › ${r.name}`);
    } else {
      failed++;
      console.log(`FAIL  ${loaded.file} › ${r.name}: ${r.detail}`);
    }
  }
}
const files = `${paths.length} file${paths.length === 1 ? '' : 's'}${badFiles ? `, ${badFiles} malformed` : ''}`;
console.log(`\n${passed + failed} cases in ${files}: ${passed} passed, ${failed} failed`);
process.exit(failed || badFiles ? 1 : 0);
