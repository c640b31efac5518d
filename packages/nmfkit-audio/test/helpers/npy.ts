/**
 * A .npy file (format 1.0) written byte by byte: any dtype descriptor and order, so tests can make the files
 * npyjs's dump does not (booleans, big-endian, Fortran order).
 */
export function npyBytes(descr: string, shape: readonly number[], data: ArrayBufferView, fortranOrder = false): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64 and ending in '\n'.
  const length = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const header = dict.padEnd(length - 1, ' ') + '\n';
  const bytes = new Uint8Array(10 + length + data.byteLength);
  bytes.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, length & 0xff, length >> 8]);
  bytes.set(new TextEncoder().encode(header), 10);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + length);
  return bytes;
}
