// Pure-TypeScript twin of assembly/parse.ts: one call walks every frame in the input,
// checks headers (RFC 6455 section 5), unmasks in place, validates text and writes one
// descriptor per frame or piece. Keep the two files in step: they are tested against
// each other on every header form, every violation and random chunkings.
import {
  S_FLAGS, S_REMAINING, S_FRAME_LENGTH, S_MASK_KEY, S_MASK_PHASE, S_UTF8, S_MESSAGE_BYTES,
  F_IN_FRAME, F_IN_MESSAGE, F_VALIDATE, F_MASKED, F_CLOSED, F_COMPRESSED,
  O_SERVER, O_ALLOW_RSV1, O_SKIP_UTF8,
  DESC_WORDS, DESC_CAPACITY, P_FIRST, P_LAST, P_MESSAGE_END,
  R_CONSUMED, R_ERROR, R_CLOSE_CODE, R_ERROR_AT,
  E_NONE, E_RSV1, E_RSV23, E_OPCODE, E_CONTROL_FIN, E_CONTROL_LENGTH, E_MASK_EXPECTED,
  E_MASK_UNEXPECTED, E_LENGTH_MSB, E_CONTINUATION, E_EXPECTED_CONTINUATION, E_UTF8, E_TOO_BIG,
  E_CLOSE_LENGTH, E_CLOSE_CODE, E_CLOSE_UTF8,
} from '../layout.js';
import { maskBytes } from './mask.js';
import { validateUtf8Bytes } from './utf8.js';

/** RFC 6455 section 7.4: codes an endpoint may receive in a close frame. */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** Close code (RFC 6455 section 7.4.1) for an error code. */
export function closeCodeFor(error: number): number {
  if (error === E_UTF8 || error === E_CLOSE_UTF8) return 1007;
  if (error === E_TOO_BIG) return 1009;
  return 1002;
}

/** Checks a frame's first two bytes (the fixed part of the header); E_NONE when they pass. */
export function checkHeader(b0: number, b1: number, flags: number, options: number): number {
  const opcode = b0 & 0x0f;
  const control = opcode >= 8;
  if ((b0 & 0x40) !== 0) {
    // RFC 7692 section 6: RSV1 only when negotiated, only on a message's first frame.
    if ((options & O_ALLOW_RSV1) === 0 || control || opcode === 0) return E_RSV1;
  }
  if ((b0 & 0x30) !== 0) return E_RSV23;
  if (control) {
    // RFC 6455 section 5.5: control frames are 8-A, final, at most 125 bytes.
    if (opcode > 0x0a) return E_OPCODE;
    if ((b0 & 0x80) === 0) return E_CONTROL_FIN;
    if ((b1 & 0x7f) > 125) return E_CONTROL_LENGTH;
  } else if (opcode === 0) {
    if ((flags & F_IN_MESSAGE) === 0) return E_CONTINUATION;
  } else if (opcode <= 2) {
    if ((flags & F_IN_MESSAGE) !== 0) return E_EXPECTED_CONTINUATION;
  } else {
    return E_OPCODE;
  }
  // RFC 6455 section 5.1: clients mask every frame, servers never do.
  if ((options & O_SERVER) !== 0) {
    if ((b1 & 0x80) === 0) return E_MASK_EXPECTED;
  } else if ((b1 & 0x80) !== 0) {
    return E_MASK_UNEXPECTED;
  }
  return E_NONE;
}

/** Offset within a close payload of the byte that failed checkClosePayload. */
let closeErrorAt = 0;

/**
 * Checks a close frame's payload (RFC 6455 section 5.5.1): empty, or a valid 2-byte code
 * followed by UTF-8. Returns E_NONE, or an error with its offset in closeErrorAt.
 */
function checkClosePayload(buf: Uint8Array, p: number, length: number): number {
  closeErrorAt = 0;
  if (length === 0) return E_NONE;
  if (length === 1) return E_CLOSE_LENGTH;
  if (!isValidCloseCode((buf[p] << 8) | buf[p + 1])) return E_CLOSE_CODE;
  const r = validateUtf8Bytes(buf, p + 2, length - 2, 0);
  if (r === 0) return E_NONE;
  closeErrorAt = r < 0 ? 2 + (-1 - r) : length;
  return E_CLOSE_UTF8;
}

/** Where a parse call writes: the descriptor table, the result words and the state. */
export interface ParseTarget {
  readonly descriptors: Uint32Array;
  readonly result: Uint32Array;
}

function finish(t: ParseTarget, n: number, consumed: number, error: number, at: number): number {
  const r = t.result;
  r[R_CONSUMED] = consumed;
  r[R_ERROR] = error;
  r[R_CLOSE_CODE] = error === E_NONE ? 0 : closeCodeFor(error);
  r[R_ERROR_AT] = at;
  return n;
}

/**
 * Parses `len` bytes of `buf` for a connection whose state is `s`.
 * Returns the number of descriptors written; t.result holds bytes consumed and any error.
 */
export function parseFrames(
  buf: Uint8Array, len: number, s: Uint32Array, t: ParseTarget, options: number, maxPayload: number,
): number {
  const desc = t.descriptors;
  let flags = s[S_FLAGS];
  let n = 0;
  let pos = 0;
  if ((flags & F_CLOSED) !== 0) return finish(t, 0, len, E_NONE, 0);
  for (;;) {
    let first = false;
    let headerLength = 0;
    if ((flags & F_IN_FRAME) === 0) {
      // ── a header ──
      if (n >= DESC_CAPACITY || len - pos < 2) break;
      const b0 = buf[pos];
      const b1 = buf[pos + 1];
      const error = checkHeader(b0, b1, flags, options);
      if (error !== E_NONE) return finish(t, n, pos, error, pos);
      const masked = (b1 & 0x80) !== 0;
      const length7 = b1 & 0x7f;
      headerLength = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (masked ? 4 : 0);
      if (len - pos < headerLength) break;
      let length = length7;
      if (length7 === 126) {
        length = (buf[pos + 2] << 8) | buf[pos + 3];
      } else if (length7 === 127) {
        const high = ((buf[pos + 2] << 24) | (buf[pos + 3] << 16) | (buf[pos + 4] << 8) | buf[pos + 5]) >>> 0;
        // RFC 6455 section 5.2: the most significant bit of a 64-bit length must be 0.
        if ((high & 0x80000000) !== 0) return finish(t, n, pos, E_LENGTH_MSB, pos + 2);
        if (high !== 0) return finish(t, n, pos, E_TOO_BIG, pos);
        length = ((buf[pos + 6] << 24) | (buf[pos + 7] << 16) | (buf[pos + 8] << 8) | buf[pos + 9]) >>> 0;
      }
      const opcode = b0 & 0x0f;
      if (opcode >= 8) {
        // Control frames are handled whole: wait until all of one is here.
        if (len - pos < headerLength + length) break;
      } else {
        const compressed = opcode === 0 ? (flags & F_COMPRESSED) !== 0 : (b0 & 0x40) !== 0;
        const before = opcode === 0 ? s[S_MESSAGE_BYTES] : 0;
        // Compressed messages are bounded on the wire too (their inflated size is checked as
        // it inflates): a stream of empty deflate blocks must not buffer without limit.
        if (before + length > maxPayload) return finish(t, n, pos, E_TOO_BIG, pos);
        if (opcode !== 0) {
          flags = (flags & ~(F_VALIDATE | F_COMPRESSED)) | F_IN_MESSAGE;
          if (compressed) flags |= F_COMPRESSED;
          else if (opcode === 1 && (options & O_SKIP_UTF8) === 0) flags |= F_VALIDATE;
          s[S_UTF8] = 0;
        }
        s[S_MESSAGE_BYTES] = before + length;
      }
      const k = pos + headerLength - 4;
      s[S_MASK_KEY] = masked ? buf[k] | (buf[k + 1] << 8) | (buf[k + 2] << 16) | (buf[k + 3] << 24) : 0;
      s[S_MASK_PHASE] = 0;
      s[S_REMAINING] = length;
      s[S_FRAME_LENGTH] = length;
      flags = (flags & 0xff & ~F_MASKED) | F_IN_FRAME | (masked ? F_MASKED : 0) | (b0 << 8);
      pos += headerLength;
      first = true;
    } else if (pos >= len || n >= DESC_CAPACITY) {
      break;
    }
    // ── payload: all of it, or as much as this input holds ──
    const b0 = flags >>> 8;
    const opcode = b0 & 0x0f;
    const remaining = s[S_REMAINING];
    const available = len - pos;
    const take = remaining < available ? remaining : available;
    const phase = s[S_MASK_PHASE];
    if ((flags & F_MASKED) !== 0) maskBytes(buf, pos, take, s[S_MASK_KEY], phase);
    s[S_MASK_PHASE] = (phase + take) & 3;
    const last = take === remaining;
    let pieceFlags = (first ? P_FIRST : 0) | (last ? P_LAST : 0);
    if (opcode >= 8) {
      if (opcode === 8) {
        const error = checkClosePayload(buf, pos, take);
        if (error !== E_NONE) return finish(t, n, pos - headerLength, error, pos + closeErrorAt);
      }
    } else {
      if ((flags & F_VALIDATE) !== 0) {
        const r = validateUtf8Bytes(buf, pos, take, s[S_UTF8]);
        if (r < 0) return finish(t, n, pos - (first ? headerLength : 0), E_UTF8, pos + (-1 - r));
        s[S_UTF8] = r;
        if (last && (b0 & 0x80) !== 0 && r !== 0) {
          // RFC 6455 section 8.1: a message must not end inside a code point.
          return finish(t, n, pos - (first ? headerLength : 0), E_UTF8, pos + take);
        }
      }
      if (last && (b0 & 0x80) !== 0) {
        pieceFlags |= P_MESSAGE_END;
        flags &= ~(F_IN_MESSAGE | F_VALIDATE | F_COMPRESSED);
        s[S_MESSAGE_BYTES] = 0;
      }
    }
    const d = n++ * DESC_WORDS;
    desc[d] = b0 | (pieceFlags << 8) | (headerLength << 16);
    desc[d + 1] = pos;
    desc[d + 2] = take;
    desc[d + 3] = s[S_FRAME_LENGTH];
    pos += take;
    s[S_REMAINING] = remaining - take;
    if (last) {
      flags &= ~(F_IN_FRAME | F_MASKED);
      if (opcode === 8) {
        // RFC 6455 section 5.5.1: nothing after a close frame is data; consume it all.
        flags |= F_CLOSED;
        pos = len;
        break;
      }
    }
  }
  s[S_FLAGS] = flags;
  return finish(t, n, pos, E_NONE, 0);
}
