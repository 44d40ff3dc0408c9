// Pure-TypeScript twin of assembly/utf8.ts: the same DFA (states in ../layout.ts).
// RFC 3629 section 4; RFC 6455 section 8.1.

/** One DFA step: the next state, or -1 when `b` cannot follow. */
export function utf8Step(state: number, b: number): number {
  switch (state) {
    case 0:
      if (b < 0x80) return 0;
      if (b < 0xc2) return -1;
      if (b < 0xe0) return 1;
      if (b === 0xe0) return 4;
      if (b === 0xed) return 5;
      if (b < 0xf0) return 2;
      if (b === 0xf0) return 6;
      if (b < 0xf4) return 3;
      if (b === 0xf4) return 7;
      return -1;
    case 1: return (b & 0xc0) === 0x80 ? 0 : -1;
    case 2: return (b & 0xc0) === 0x80 ? 1 : -1;
    case 3: return (b & 0xc0) === 0x80 ? 2 : -1;
    case 4: return (b & 0xe0) === 0xa0 ? 1 : -1;
    case 5: return (b & 0xe0) === 0x80 ? 1 : -1;
    case 6: return b >= 0x90 && b <= 0xbf ? 2 : -1;
    case 7: return (b & 0xf0) === 0x80 ? 2 : -1;
  }
  return -1;
}

/**
 * Validates `len` bytes of `buf` from `start`, continuing from `state`. Returns the new
 * state (0 on a boundary) or -1 - offset (relative to `start`) of the first invalid byte.
 */
export function validateUtf8Bytes(buf: Uint8Array, start: number, len: number, state: number): number {
  const end = start + len;
  let i = start;
  while (i < end) {
    if (state === 0) {
      while (i < end && buf[i] < 0x80) i++;
      if (i === end) break;
    }
    state = utf8Step(state, buf[i]);
    if (state < 0) return -1 - (i - start);
    i++;
  }
  return state;
}
