// Reading one frame header without judging it (RFC 6455 section 5.2). The inspector's
// walker is its own: it never stops at a violation, only where the bytes run out.
//
//   byte 0: FIN RSV1 RSV2 RSV3 opcode(4)     byte 1: MASK length7
//   length7 126 → 16-bit length follows; 127 → 64-bit length follows (network order)
//   then the 4-byte masking key when MASK is set, then the payload.
import type { HeaderField } from './types.js';
import { opcodeName } from './registry.js';

export interface RawHeader {
  readonly b0: number;
  readonly b1: number;
  readonly opcode: number;
  readonly masked: boolean;
  readonly encoding: 7 | 16 | 64;
  /** Declared payload length (approximate above 2^53, never reached by real captures). */
  readonly length: number;
  /** The 64-bit form had its most significant bit set. */
  readonly lengthMsb: boolean;
  /** Header bytes; when MASK is set, the masking key is the last 4 of them. */
  readonly headerLength: number;
}

const TWO_32 = 0x1_0000_0000;

/**
 * Reads the header at `buf[p]` (the bytes end at `end`). Returns the header, or the number
 * of header bytes needed (from `p`) when fewer are available.
 */
export function readHeader(buf: Uint8Array, p: number, end = buf.length): RawHeader | number {
  const available = end - p;
  if (available < 2) return 2;
  const b0 = buf[p];
  const b1 = buf[p + 1];
  const masked = (b1 & 0x80) !== 0;
  const len7 = b1 & 0x7f;
  const encoding = len7 < 126 ? 7 : len7 === 126 ? 16 : 64;
  const lengthBytes = encoding === 7 ? 0 : encoding === 16 ? 2 : 8;
  const headerLength = 2 + lengthBytes + (masked ? 4 : 0);
  if (available < headerLength) return headerLength;
  let length = len7;
  let lengthMsb = false;
  if (encoding === 16) {
    length = (buf[p + 2] << 8) | buf[p + 3];
  } else if (encoding === 64) {
    const high = ((buf[p + 2] << 24) | (buf[p + 3] << 16) | (buf[p + 4] << 8) | buf[p + 5]) >>> 0;
    const low = ((buf[p + 6] << 24) | (buf[p + 7] << 16) | (buf[p + 8] << 8) | buf[p + 9]) >>> 0;
    lengthMsb = high >= 0x8000_0000;
    length = high * TWO_32 + low;
  }
  return {
    b0, b1, opcode: b0 & 0x0f, masked, encoding, length, lengthMsb, headerLength,
  };
}

/** True when the length could have been written in a shorter form (RFC 6455 section 5.2). */
export function isNonMinimal(h: RawHeader): boolean {
  return (h.encoding === 16 && h.length < 126) || (h.encoding === 64 && h.length < 0x10000);
}

function hexByte(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/** Every field of the header `header` (read as `h`) at absolute offset `at`, with its byte range and bits. */
export function headerFields(h: RawHeader, header: Uint8Array, at: number): HeaderField[] {
  const bit = (name: string, mask: number, byte: number, b: number): HeaderField => (
    { name, start: at + byte, end: at + byte + 1, bits: mask, value: (b & mask) !== 0 ? '1' : '0' }
  );
  const fields: HeaderField[] = [
    bit('FIN', 0x80, 0, h.b0), bit('RSV1', 0x40, 0, h.b0), bit('RSV2', 0x20, 0, h.b0), bit('RSV3', 0x10, 0, h.b0),
    { name: 'opcode', start: at, end: at + 1, bits: 0x0f, value: `0x${h.opcode.toString(16)} ${opcodeName(h.opcode)}` },
    bit('MASK', 0x80, 1, h.b1),
    {
      name: 'payload length', start: at + 1, end: at + 2, bits: 0x7f,
      value: h.encoding === 7 ? `${h.length} (7-bit)` : `${h.b1 & 0x7f}: ${h.encoding}-bit length follows`,
    },
  ];
  if (h.encoding !== 7) {
    const n = h.encoding === 16 ? 2 : 8;
    fields.push({ name: 'extended length', start: at + 2, end: at + 2 + n, value: `${h.length} (${h.encoding}-bit)` });
  }
  if (h.masked) {
    const k = h.headerLength - 4;
    const key = [header[k], header[k + 1], header[k + 2], header[k + 3]].map(hexByte).join(' ');
    const start = at + k;
    fields.push({ name: 'masking key', start, end: start + 4, value: key });
  }
  return fields;
}
