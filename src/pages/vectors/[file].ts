// The conformance vectors and their JSON Schema as files of the built site, so a vendor can
// fetch them into their own test set: /vectors/<name>.json, /vectors/vectors.schema.json (and
// the version 1 schema, vectors-v1.schema.json) and /vectors/index.json (the list).
import type { APIRoute, GetStaticPaths } from 'astro';
import { basename } from 'node:path';
import { vectorJsonSchema } from '../../lib/conformance/vector-schema.ts';
import { expectedCodes, SCHEMA_FILE, SCHEMA_FILE_V1, shippedVectors } from '../../lib/spec/vector-files.ts';
import { vectorJsonSchemaV1 } from '../../lib/conformance/vector-schema-v1.ts';
import { VECTOR_FORMAT, VECTOR_VERSION } from '../../lib/conformance/vector-schema.ts';

const json = (body: unknown) => new Response(JSON.stringify(body, null, 2) + '\n', { headers: { 'content-type': 'application/json' } });

export const getStaticPaths: GetStaticPaths = () => {
  const files = shippedVectors();
  const list = {
    format: VECTOR_FORMAT,
    version: VECTOR_VERSION,
    schema: `/vectors/${SCHEMA_FILE}`,
    /** Version 1 files are still read (and converted) by the runner; their schema stays published. */
    schemaV1: `/vectors/${SCHEMA_FILE_V1}`,
    files: files.map((f) => ({
      url: `/vectors/${basename(f.file)}`,
      description: f.vectors.description ?? null,
      cases: f.vectors.cases.length,
      errorCodes: expectedCodes(f.vectors),
    })),
  };
  return [
    { params: { file: 'index.json' }, props: { body: list } },
    { params: { file: SCHEMA_FILE }, props: { body: vectorJsonSchema() } },
    { params: { file: SCHEMA_FILE_V1 }, props: { body: vectorJsonSchemaV1() } },
    ...files.map((f) => ({ params: { file: basename(f.file) }, props: { body: f.vectors } })),
  ];
};

export const GET: APIRoute = ({ props }) => json(props.body);
