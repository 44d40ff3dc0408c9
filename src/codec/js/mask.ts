// Pure-TypeScript twin of assembly/mask.ts (RFC 6455 section 5.3).
// Body: 32-bit words through an Int32Array view over the 4-aligned middle; byte head/tail.

/** Inputs shorter than this are masked byte by byte (a typed-array view costs more). */
const WORD_LOOP_MIN = 32;

/** Masks `len` bytes of `buf` from `start` in place with `key` starting at `phase`. */
export function maskBytes(buf: Uint8Array, start: number, len: number, key: number, phase: number): void {
  let k = rotr(key >>> 0, (phase & 3) << 3);
  let i = start;
  const end = start + len;
  if (len >= WORD_LOOP_MIN) {
    while (((buf.byteOffset + i) & 3) !== 0) {
      buf[i++] ^= k & 0xff;
      k = rotr(k, 8);
    }
    const words = (end - i) >>> 2;
    const view = new Int32Array(buf.buffer, buf.byteOffset + i, words);
    const kw = k | 0;
    for (let w = 0; w < words; w++) view[w] ^= kw;
    i += words << 2;
  }
  while (i < end) {
    buf[i++] ^= k & 0xff;
    k = rotr(k, 8);
  }
}

function rotr(x: number, n: number): number {
  return n === 0 ? x : ((x >>> n) | (x << (32 - n))) >>> 0;
}
