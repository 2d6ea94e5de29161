// The transport conformance vectors and their JSON Schema as files of the built site:
// /vectors/transport/<name>.json, /vectors/transport/transport-vectors.schema.json and
// /vectors/transport/index.json (the list).
import type { APIRoute, GetStaticPaths } from 'astro';
import { basename } from 'node:path';
import { TRANSPORT_VECTOR_FORMAT, TRANSPORT_VECTOR_VERSION, transportVectorJsonSchema } from '../../../lib/conformance/transport-vector-schema.ts';
import { shippedTransportVectors, TRANSPORT_SCHEMA_FILE } from '../../../lib/spec/vector-files.ts';

const json = (body: unknown) => new Response(JSON.stringify(body, null, 2) + '\n', { headers: { 'content-type': 'application/json' } });

export const getStaticPaths: GetStaticPaths = () => {
  const files = shippedTransportVectors();
  const list = {
    format: TRANSPORT_VECTOR_FORMAT,
    version: TRANSPORT_VECTOR_VERSION,
    schema: `/vectors/transport/${TRANSPORT_SCHEMA_FILE}`,
    files: files.map((f) => ({
      url: `/vectors/transport/${basename(f.file)}`,
      description: f.vectors.description ?? null,
      cases: f.vectors.cases.length,
      transports: [...new Set(f.vectors.cases.map((c) => c.transport))],
    })),
  };
  return [
    { params: { file: 'index.json' }, props: { body: list } },
    { params: { file: TRANSPORT_SCHEMA_FILE }, props: { body: transportVectorJsonSchema() } },
    ...files.map((f) => ({ params: { file: basename(f.file) }, props: { body: f.vectors } })),
  ];
};

export const GET: APIRoute = ({ props }) => json(props.body);
