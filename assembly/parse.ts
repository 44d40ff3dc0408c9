// One call per received chunk: walk every frame in [ptr, ptr + len), check each header
// against RFC 6455 section 5, unmask payloads in place, validate text, and describe each
// frame (or piece of a frame) in the descriptor table. src/codec/js.ts mirrors this file
// line for line; the two are tested against each other.
//
// RFC 6455 section 5.2 base framing:
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-------+-+-------------+-------------------------------+
//   |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//   |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//   |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//   | |1|2|3|       |K|             |                               |
//   +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//   |     Extended payload length continued, if payload len == 127  |
//   + - - - - - - - - - - - - - - - +-------------------------------+
//   |                               |Masking-key, if MASK set to 1  |
//   +-------------------------------+-------------------------------+
import {
  S_FLAGS, S_REMAINING, S_FRAME_LENGTH, S_MASK_KEY, S_MASK_PHASE, S_UTF8, S_MESSAGE_BYTES,
  F_IN_FRAME, F_IN_MESSAGE, F_VALIDATE, F_MASKED, F_CLOSED, F_COMPRESSED,
  O_SERVER, O_ALLOW_RSV1, O_SKIP_UTF8,
  DESC_WORDS, DESC_CAPACITY, P_FIRST, P_LAST, P_MESSAGE_END,
  R_CONSUMED, R_ERROR, R_CLOSE_CODE, R_ERROR_AT,
  E_NONE, E_RSV1, E_RSV23, E_OPCODE, E_CONTROL_FIN, E_CONTROL_LENGTH, E_MASK_EXPECTED,
  E_MASK_UNEXPECTED, E_LENGTH_MSB, E_CONTINUATION, E_EXPECTED_CONTINUATION, E_UTF8, E_TOO_BIG,
  E_CLOSE_LENGTH, E_CLOSE_CODE, E_CLOSE_UTF8,
} from '../src/codec/layout';
import { RESULT, DESCRIPTORS, getState, setState } from './regions';
import { mask } from './mask';
import { validateUtf8 } from './utf8';

/** RFC 6455 section 7.4: codes an endpoint may receive in a close frame. */
@inline function isValidCloseCode(code: u32): bool {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** Close code (RFC 6455 section 7.4.1) for an error code. */
@inline function closeCodeFor(error: i32): u32 {
  if (error == E_UTF8 || error == E_CLOSE_UTF8) return 1007;
  if (error == E_TOO_BIG) return 1009;
  return 1002;
}

@inline function writeDescriptor(n: i32, info: u32, offset: u32, length: u32, frame: u32): void {
  const d = DESCRIPTORS + (<usize>n * DESC_WORDS << 2);
  store<u32>(d, info);
  store<u32>(d, offset, 4);
  store<u32>(d, length, 8);
  store<u32>(d, frame, 12);
}

@inline function finish(n: i32, consumed: usize, error: i32, at: usize): i32 {
  store<u32>(RESULT + (R_CONSUMED << 2), <u32>consumed);
  store<u32>(RESULT + (R_ERROR << 2), <u32>error);
  store<u32>(RESULT + (R_CLOSE_CODE << 2), error == E_NONE ? 0 : closeCodeFor(error));
  store<u32>(RESULT + (R_ERROR_AT << 2), <u32>at);
  return n;
}

/** Checks a frame's first two bytes (the fixed part of the header); E_NONE when they pass. */
function checkHeader(b0: u32, b1: u32, flags: u32, options: i32): i32 {
  const opcode = b0 & 0x0F;
  const control = opcode >= 8;
  if ((b0 & 0x40) != 0) {
    // RFC 7692 section 6: RSV1 only when negotiated, only on a message's first frame.
    if ((options & O_ALLOW_RSV1) == 0 || control || opcode == 0) return E_RSV1;
  }
  if ((b0 & 0x30) != 0) return E_RSV23;
  if (control) {
    // RFC 6455 section 5.5: control frames are 8-A, final, at most 125 bytes.
    if (opcode > 0x0A) return E_OPCODE;
    if ((b0 & 0x80) == 0) return E_CONTROL_FIN;
    if ((b1 & 0x7F) > 125) return E_CONTROL_LENGTH;
  } else if (opcode == 0) {
    if ((flags & F_IN_MESSAGE) == 0) return E_CONTINUATION;
  } else if (opcode <= 2) {
    if ((flags & F_IN_MESSAGE) != 0) return E_EXPECTED_CONTINUATION;
  } else {
    return E_OPCODE;
  }
  // RFC 6455 section 5.1: clients mask every frame, servers never do.
  if ((options & O_SERVER) != 0) {
    if ((b1 & 0x80) == 0) return E_MASK_EXPECTED;
  } else if ((b1 & 0x80) != 0) {
    return E_MASK_UNEXPECTED;
  }
  return E_NONE;
}

/** Offset within a close payload of the byte that failed checkClosePayload. */
let closeErrorAt: u32 = 0;

/**
 * Checks a close frame's payload (RFC 6455 section 5.5.1): empty, or a valid 2-byte code
 * followed by UTF-8. Returns E_NONE, or an error with its offset in closeErrorAt.
 */
function checkClosePayload(p: usize, length: u32): i32 {
  closeErrorAt = 0;
  if (length == 0) return E_NONE;
  if (length == 1) return E_CLOSE_LENGTH;
  const code = (<u32>load<u8>(p) << 8) | <u32>load<u8>(p, 1);
  if (!isValidCloseCode(code)) return E_CLOSE_CODE;
  const r = validateUtf8(p + 2, length - 2, 0);
  if (r == 0) return E_NONE;
  closeErrorAt = r < 0 ? 2 + <u32>(-1 - r) : length;
  return E_CLOSE_UTF8;
}

/**
 * Parses [ptr, ptr + len) for a connection whose state is in STATE.
 * Returns the number of descriptors written; RESULT holds bytes consumed and any error.
 * `maxPayload` bounds a data message's total length (0xFFFFFFFF: no limit beyond 32 bits).
 */
export function parse(ptr: usize, len: usize, options: i32, maxPayload: u32): i32 {
  let flags = getState(S_FLAGS);
  let n: i32 = 0;
  let pos: usize = 0;
  if ((flags & F_CLOSED) != 0) return finish(0, len, E_NONE, 0);
  while (true) {
    let first = false;
    let headerLength: usize = 0;
    if ((flags & F_IN_FRAME) == 0) {
      // ── a header ──
      if (n >= DESC_CAPACITY || len - pos < 2) break;
      const b0 = <u32>load<u8>(ptr + pos);
      const b1 = <u32>load<u8>(ptr + pos, 1);
      const error = checkHeader(b0, b1, flags, options);
      if (error != E_NONE) return finish(n, pos, error, pos);
      const masked = (b1 & 0x80) != 0;
      const length7 = b1 & 0x7F;
      headerLength = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + (masked ? 4 : 0);
      if (len - pos < headerLength) break;
      let length: u32 = length7;
      if (length7 == 126) {
        length = <u32>bswap<u16>(load<u16>(ptr + pos, 2));
      } else if (length7 == 127) {
        const high = bswap<u32>(load<u32>(ptr + pos, 2));
        // RFC 6455 section 5.2: the most significant bit of a 64-bit length must be 0.
        if ((high & 0x80000000) != 0) return finish(n, pos, E_LENGTH_MSB, pos + 2);
        if (high != 0) return finish(n, pos, E_TOO_BIG, pos);
        length = bswap<u32>(load<u32>(ptr + pos, 6));
      }
      const opcode = b0 & 0x0F;
      if (opcode >= 8) {
        // Control frames are handled whole: wait until all of one is here.
        if (len - pos < headerLength + <usize>length) break;
      } else {
        const compressed = opcode == 0 ? (flags & F_COMPRESSED) != 0 : (b0 & 0x40) != 0;
        const before: u64 = opcode == 0 ? <u64>getState(S_MESSAGE_BYTES) : 0;
        // Compressed messages are bounded on the wire too (their inflated size is checked as
        // it inflates): a stream of empty deflate blocks must not buffer without limit.
        if (before + <u64>length > <u64>maxPayload) return finish(n, pos, E_TOO_BIG, pos);
        if (opcode != 0) {
          flags = (flags & ~(F_VALIDATE | F_COMPRESSED)) | F_IN_MESSAGE;
          if (compressed) flags |= F_COMPRESSED;
          else if (opcode == 1 && (options & O_SKIP_UTF8) == 0) flags |= F_VALIDATE;
          setState(S_UTF8, 0);
        }
        setState(S_MESSAGE_BYTES, <u32>(before + <u64>length));
      }
      setState(S_MASK_KEY, masked ? load<u32>(ptr + pos + headerLength - 4) : 0);
      setState(S_MASK_PHASE, 0);
      setState(S_REMAINING, length);
      setState(S_FRAME_LENGTH, length);
      flags = (flags & 0xFF & ~F_MASKED) | F_IN_FRAME | (masked ? F_MASKED : 0) | (b0 << 8);
      pos += headerLength;
      first = true;
    } else if (pos >= len || n >= DESC_CAPACITY) {
      break;
    }
    // ── payload: all of it, or as much as this input holds ──
    const b0 = flags >> 8;
    const opcode = b0 & 0x0F;
    const remaining = getState(S_REMAINING);
    const available = <u32>(len - pos);
    const take = remaining < available ? remaining : available;
    const p = ptr + pos;
    const phase = getState(S_MASK_PHASE);
    if ((flags & F_MASKED) != 0) mask(p, take, getState(S_MASK_KEY), phase);
    setState(S_MASK_PHASE, (phase + take) & 3);
    const last = take == remaining;
    let pieceFlags: u32 = (first ? P_FIRST : 0) | (last ? P_LAST : 0);
    if (opcode >= 8) {
      if (opcode == 8) {
        const error = checkClosePayload(p, take);
        if (error != E_NONE) return finish(n, pos - headerLength, error, pos + <usize>closeErrorAt);
      }
    } else {
      if ((flags & F_VALIDATE) != 0) {
        const r = validateUtf8(p, take, getState(S_UTF8));
        if (r < 0) return finish(n, pos - (first ? headerLength : 0), E_UTF8, pos + <usize>(-1 - r));
        setState(S_UTF8, r);
        if (last && (b0 & 0x80) != 0 && r != 0) {
          // RFC 6455 section 8.1: a message must not end inside a code point.
          return finish(n, pos - (first ? headerLength : 0), E_UTF8, pos + <usize>take);
        }
      }
      if (last && (b0 & 0x80) != 0) {
        pieceFlags |= P_MESSAGE_END;
        flags &= ~(F_IN_MESSAGE | F_VALIDATE | F_COMPRESSED);
        setState(S_MESSAGE_BYTES, 0);
      }
    }
    writeDescriptor(n++, b0 | (pieceFlags << 8) | (<u32>headerLength << 16), <u32>pos, take, getState(S_FRAME_LENGTH));
    pos += take;
    setState(S_REMAINING, remaining - take);
    if (last) {
      flags &= ~(F_IN_FRAME | F_MASKED);
      if (opcode == 8) {
        // RFC 6455 section 5.5.1: nothing after a close frame is data; consume it all.
        flags |= F_CLOSED;
        pos = len;
        break;
      }
    }
  }
  setState(S_FLAGS, flags);
  return finish(n, pos, E_NONE, 0);
}
