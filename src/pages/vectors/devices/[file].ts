// The device conformance vectors and their JSON Schema as files of the built site:
// /vectors/devices/<name>.json, /vectors/devices/device-vectors.schema.json and
// /vectors/devices/index.json (the list).
import type { APIRoute, GetStaticPaths } from 'astro';
import { basename } from 'node:path';
import { DEVICE_VECTOR_FORMAT, DEVICE_VECTOR_VERSION, deviceVectorJsonSchema } from '../../../lib/conformance/device-vector-schema.ts';
import { DEVICE_SCHEMA_FILE, shippedDeviceVectors } from '../../../lib/spec/vector-files.ts';

const json = (body: unknown) => new Response(JSON.stringify(body, null, 2) + '\n', { headers: { 'content-type': 'application/json' } });

export const getStaticPaths: GetStaticPaths = () => {
  const files = shippedDeviceVectors();
  const list = {
    format: DEVICE_VECTOR_FORMAT,
    version: DEVICE_VECTOR_VERSION,
    schema: `/vectors/devices/${DEVICE_SCHEMA_FILE}`,
    files: files.map((f) => ({
      url: `/vectors/devices/${basename(f.file)}`,
      description: f.vectors.description ?? null,
      cases: f.vectors.cases.length,
      models: [...new Set(f.vectors.cases.map((c) => c.device.model))],
    })),
  };
  return [
    { params: { file: 'index.json' }, props: { body: list } },
    { params: { file: DEVICE_SCHEMA_FILE }, props: { body: deviceVectorJsonSchema() } },
    ...files.map((f) => ({ params: { file: basename(f.file) }, props: { body: f.vectors } })),
  ];
};

export const GET: APIRoute = ({ props }) => json(props.body);
