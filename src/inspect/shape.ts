// Cheap structural checks that run before a decoder: does a payload hold exactly one
// MessagePack value, one CBOR value, or text shaped like a JSON object or array? They walk
// the encoding's lengths without building anything, so a payload that is not that format
// (most binary payloads, and every truncated one) costs a few byte reads, not a decoder's
// exception. They only filter: the decoder still has the last word on what parses.
//
//   MessagePack: https://github.com/msgpack/msgpack/blob/master/spec.md (formats by first byte)
//   CBOR: RFC 8949 section 3 (major type in the top 3 bits, argument in the low 5)

/** Nesting deeper than this is not walked (the decoders refuse far less deep input anyway). */
const MAX_DEPTH = 512;

function u16(b: Uint8Array, p: number): number {
  return (b[p] << 8) | b[p + 1];
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/**
 * Where the MessagePack value at `b[0]` ends, or -1 when the bytes cannot be one (a reserved
 * byte, a length past the end). Items are counted, not recursed into.
 */
export function msgpackEnd(b: Uint8Array): number {
  const n = b.length;
  let p = 0;
  let items = 1;
  while (items > 0) {
    if (p >= n || items > n - p) return -1; // every item takes at least one byte
    items--;
    const t = b[p++];
    let skip = 0;
    if (t <= 0x7f || t >= 0xe0) continue; // fixint
    if (t <= 0x8f) { items += 2 * (t & 0x0f); continue; } // fixmap
    if (t <= 0x9f) { items += t & 0x0f; continue; } // fixarray
    if (t <= 0xbf) { p += t & 0x1f; continue; } // fixstr
    switch (t) {
      case 0xc0: case 0xc2: case 0xc3: continue; // nil, false, true
      case 0xc1: return -1; // never used
      case 0xc4: case 0xd9: if (p + 1 > n) return -1; skip = 1 + b[p]; break; // bin 8, str 8
      case 0xc5: case 0xda: if (p + 2 > n) return -1; skip = 2 + u16(b, p); break;
      case 0xc6: case 0xdb: if (p + 4 > n) return -1; skip = 4 + u32(b, p); break;
      case 0xc7: if (p + 1 > n) return -1; skip = 2 + b[p]; break; // ext 8: length, type
      case 0xc8: if (p + 2 > n) return -1; skip = 3 + u16(b, p); break;
      case 0xc9: if (p + 4 > n) return -1; skip = 5 + u32(b, p); break;
      case 0xca: skip = 4; break; // float 32
      case 0xcb: skip = 8; break; // float 64
      case 0xcc: case 0xd0: skip = 1; break;
      case 0xcd: case 0xd1: skip = 2; break;
      case 0xce: case 0xd2: skip = 4; break;
      case 0xcf: case 0xd3: skip = 8; break;
      case 0xd4: skip = 2; break; // fixext 1: type, data
      case 0xd5: skip = 3; break;
      case 0xd6: skip = 5; break;
      case 0xd7: skip = 9; break;
      case 0xd8: skip = 17; break;
      case 0xdc: if (p + 2 > n) return -1; items += u16(b, p); skip = 2; break; // array 16
      case 0xdd: if (p + 4 > n) return -1; items += u32(b, p); skip = 4; break;
      case 0xde: if (p + 2 > n) return -1; items += 2 * u16(b, p); skip = 2; break; // map 16
      case 0xdf: if (p + 4 > n) return -1; items += 2 * u32(b, p); skip = 4; break;
      default: return -1;
    }
    p += skip;
  }
  return p <= n ? p : -1;
}

/**
 * Where the CBOR data item at `b[0]` ends, or -1 when the bytes cannot be one: a reserved
 * argument (28–30), a length past the end, a misplaced break, nesting past MAX_DEPTH.
 */
export function cborEnd(b: Uint8Array): number {
  const n = b.length;
  // Open containers: items left in each (-1: indefinite, ends at a break byte 0xff).
  const open: number[] = [];
  let p = 0;
  let items = 1;
  for (;;) {
    while (items === 0 && open.length > 0) items = open.pop()!;
    if (items === 0) return p;
    if (p >= n) return -1;
    const t = b[p++];
    const major = t >> 5;
    const ai = t & 0x1f;
    if (t === 0xff) { // break: closes the innermost indefinite container
      if (items !== -1) return -1;
      items = 0;
      continue;
    }
    if (items > 0) items--;
    let arg: number;
    if (ai < 24) arg = ai;
    else if (ai === 24) { if (p + 1 > n) return -1; arg = b[p]; p += 1; }
    else if (ai === 25) { if (p + 2 > n) return -1; arg = u16(b, p); p += 2; }
    else if (ai === 26) { if (p + 4 > n) return -1; arg = u32(b, p); p += 4; }
    else if (ai === 27) { if (p + 8 > n) return -1; arg = u32(b, p) * 0x1_0000_0000 + u32(b, p + 4); p += 8; }
    else if (ai === 31) {
      // Indefinite length: strings (of definite chunks), arrays and maps only.
      if (major < 2 || major > 5) return -1;
      if (open.length >= MAX_DEPTH) return -1;
      open.push(items);
      items = -1;
      continue;
    } else return -1;
    if (major === 2 || major === 3) {
      if (arg > n - p) return -1;
      p += arg;
    } else if (major === 4 || major === 5 || major === 6) {
      const children = major === 4 ? arg : major === 5 ? 2 * arg : 1;
      if (children > n - p) return -1; // every item takes at least one byte
      if (children > 0) {
        if (open.length >= MAX_DEPTH) return -1;
        open.push(items);
        items = children;
      }
    }
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** True when the bytes, trimmed of JSON whitespace, start with `{` and end with `}` (or `[` … `]`). */
export function jsonShaped(b: Uint8Array): boolean {
  let i = 0;
  let j = b.length - 1;
  while (i <= j && isSpace(b[i])) i++;
  while (j > i && isSpace(b[j])) j--;
  if (j <= i) return false;
  return (b[i] === 0x7b && b[j] === 0x7d) || (b[i] === 0x5b && b[j] === 0x5d);
}
