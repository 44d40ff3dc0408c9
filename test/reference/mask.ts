// Reference for RFC 6455 section 5.3: "Octet i of the transformed data is the XOR of octet i
// of the original data with octet at index i modulo 4 of the masking key." One byte at a time.

/** Returns a masked copy of `data`; `keyBytes` are the 4 key bytes in wire order. */
export function referenceMask(data: Uint8Array, keyBytes: ArrayLike<number>, phase = 0): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ keyBytes[(phase + i) % 4];
  return out;
}
