// Reading a transport vector file: JSON, then the schema; problems name the file and field.
import { parseWithSchema } from './parse-vector.ts';
import { TRANSPORT_VECTOR_FORMAT, TRANSPORT_VECTOR_VERSION, type TransportVectorFile, transportVectorFile } from './transport-vector-schema.ts';

export function parseTransportVectorFile(file: string, text: string): TransportVectorFile {
  return parseWithSchema(file, text, transportVectorFile, TRANSPORT_VECTOR_FORMAT, TRANSPORT_VECTOR_VERSION);
}
