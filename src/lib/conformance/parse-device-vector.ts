// Reading a device vector file: JSON, the schema, then each case's device model and options
// against the registry, so that an unknown model or a misspelt option is reported with its
// field path before anything runs.
import { DEVICE_MODELS, deviceModel } from './device-registry.ts';
import { DEVICE_VECTOR_FORMAT, DEVICE_VECTOR_VERSION, type DeviceVectorFile, deviceVectorFile } from './device-vector-schema.ts';
import { parseWithSchema, VectorFormatError } from './parse-vector.ts';

// #region parse-device-vector
export function parseDeviceVectorFile(file: string, text: string): DeviceVectorFile {
  const v = parseWithSchema(file, text, deviceVectorFile, DEVICE_VECTOR_FORMAT, DEVICE_VECTOR_VERSION);
  v.cases.forEach((c, i) => {
    const at = `cases[${i}].device`;
    const entry = deviceModel(c.device.model);
    if (!entry) {
      throw new VectorFormatError(file, `field "${at}.model": unknown device model "${c.device.model}"; known: ${DEVICE_MODELS.map((m) => m.model).join(', ')}`);
    }
    const r = entry.options.safeParse(c.device.options ?? {});
    if (!r.success) {
      const issue = r.error.issues[0];
      const path = issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
      throw new VectorFormatError(file, `field "${at}.options${path}": ${issue.message}`); // zod names unknown keys itself
    }
  });
  return v;
}
// #endregion parse-device-vector
