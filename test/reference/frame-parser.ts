// Reference parser: a whole byte stream in, the frames it holds and the first protocol error
// out, written from RFC 6455 (sections 5.1-5.5, 7.4, 8.1) and RFC 7692 section 6. It reads
// the stream in one pass with no state machine and no carry; the cores are checked against it.
// Error codes are the contract's (src/codec/layout.ts); offsets are absolute stream offsets.
import {
  E_RSV1, E_RSV23, E_OPCODE, E_CONTROL_FIN, E_CONTROL_LENGTH, E_MASK_EXPECTED, E_MASK_UNEXPECTED,
  E_LENGTH_MSB, E_CONTINUATION, E_EXPECTED_CONTINUATION, E_UTF8, E_TOO_BIG, E_CLOSE_LENGTH,
  E_CLOSE_CODE, E_CLOSE_UTF8,
} from '../../src/codec/layout.js';
import { referenceMask } from './mask.js';
import { referenceUtf8 } from './utf8.js';

export interface ReferenceOptions {
  /** We are the server: every frame must be masked (section 5.1). */
  server: boolean;
  /** permessage-deflate negotiated: RSV1 allowed on a data message's first frame. */
  allowRsv1?: boolean;
  skipUtf8?: boolean;
  /** Largest data message in payload bytes on the wire (default 2^32 - 1). */
  maxPayload?: number;
}

export interface ExpectedFrame {
  /** Header byte 0: FIN, RSV1-3, opcode. */
  info: number;
  headerLength: number;
  /** Unmasked payload. */
  payload: Uint8Array;
  /** A data frame with FIN set: the message ends here. */
  messageEnd: boolean;
}

export interface ExpectedError {
  code: number;
  closeCode: number;
  /** Absolute offset of the offending byte (a header's first byte for header errors). */
  offset: number;
}

export interface ReferenceResult {
  /** Every complete frame before the first error (a trailing incomplete frame is left out). */
  frames: ExpectedFrame[];
  error: ExpectedError | null;
  /** A close frame was read; nothing after it counts (section 5.5.1). */
  closed: boolean;
}

/** Section 7.4.1: 1007 for bad UTF-8, 1009 for a message too big, 1002 for the rest. */
export function referenceCloseCode(error: number): number {
  if (error === E_UTF8 || error === E_CLOSE_UTF8) return 1007;
  return error === E_TOO_BIG ? 1009 : 1002;
}

/**
 * Section 7.4: codes a peer may send. 1004 is reserved, 1005/1006/1015 must not be sent;
 * 1012-1014 are registered with IANA since; 3000-4999 are for libraries and applications.
 */
export function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

interface OpenMessage {
  validate: boolean;
  bytes: number;
  /** The incomplete UTF-8 sequence the previous fragment ended with. */
  pending: Uint8Array;
}

export function referenceParse(bytes: Uint8Array, options: ReferenceOptions): ReferenceResult {
  const maxPayload = options.maxPayload ?? 0xffffffff;
  const frames: ExpectedFrame[] = [];
  const fail = (code: number, offset: number): ReferenceResult =>
    ({ frames, error: { code, closeCode: referenceCloseCode(code), offset }, closed: false });
  let message: OpenMessage | null = null;
  let pos = 0;
  while (bytes.length - pos >= 2) {
    const b0 = bytes[pos];
    const b1 = bytes[pos + 1];
    const fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    const length7 = b1 & 0x7f;
    const control = opcode >= 8;
    // The first two bytes are judged as soon as they are here, in field order.
    if (rsv1 && (!options.allowRsv1 || control || opcode === 0)) return fail(E_RSV1, pos);
    if ((b0 & 0x30) !== 0) return fail(E_RSV23, pos);
    if (![0x0, 0x1, 0x2, 0x8, 0x9, 0xa].includes(opcode)) return fail(E_OPCODE, pos);
    if (control && !fin) return fail(E_CONTROL_FIN, pos);
    if (control && length7 > 125) return fail(E_CONTROL_LENGTH, pos);
    if (opcode === 0 && message === null) return fail(E_CONTINUATION, pos);
    if ((opcode === 1 || opcode === 2) && message !== null) return fail(E_EXPECTED_CONTINUATION, pos);
    if (options.server && !masked) return fail(E_MASK_EXPECTED, pos);
    if (!options.server && masked) return fail(E_MASK_UNEXPECTED, pos);

    const lengthBytes = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    const headerLength = 2 + lengthBytes + (masked ? 4 : 0);
    if (bytes.length - pos < headerLength) break;
    let declared = BigInt(length7);
    if (lengthBytes > 0) {
      declared = 0n;
      for (let k = 0; k < lengthBytes; k++) declared = (declared << 8n) | BigInt(bytes[pos + 2 + k]);
    }
    if (declared >= 1n << 63n) return fail(E_LENGTH_MSB, pos + 2);
    if (declared > 0xffffffffn) return fail(E_TOO_BIG, pos);
    const length = Number(declared);
    const key = masked ? bytes.subarray(pos + headerLength - 4, pos + headerLength) : [0, 0, 0, 0];
    const start = pos + headerLength;
    const available = Math.min(length, bytes.length - start);

    if (control) {
      if (available < length) break;
      const payload = referenceMask(bytes.subarray(start, start + length), key);
      if (opcode === 0x8 && length > 0) {
        // Section 5.5.1: a 2-byte code (section 7.4), then a UTF-8 reason.
        if (length === 1) return fail(E_CLOSE_LENGTH, start);
        if (!isSendableCloseCode((payload[0] << 8) | payload[1])) return fail(E_CLOSE_CODE, start);
        const reason = referenceUtf8(payload.subarray(2));
        if (reason.errorAt >= 0) return fail(E_CLOSE_UTF8, start + 2 + reason.errorAt);
        if (reason.state !== 0) return fail(E_CLOSE_UTF8, start + length);
      }
      frames.push({ info: b0, headerLength, payload, messageEnd: false });
      if (opcode === 0x8) return { frames, error: null, closed: true };
      pos = start + length;
      continue;
    }

    if (opcode !== 0) {
      message = { validate: opcode === 1 && !rsv1 && !options.skipUtf8, bytes: 0, pending: new Uint8Array(0) };
    }
    const open = message as OpenMessage;
    // Section 10.4 limits. A compressed message is bounded on the wire as well as once
    // inflated (empty deflate blocks must not buffer without end; core since 9be91b6).
    if (open.bytes + length > maxPayload) return fail(E_TOO_BIG, pos);
    open.bytes += length;
    const payload = referenceMask(bytes.subarray(start, start + available), key);
    if (open.validate) {
      // Section 8.1: fail at the first byte that cannot be UTF-8, even before the frame ends.
      const text = new Uint8Array(open.pending.length + payload.length);
      text.set(open.pending, 0);
      text.set(payload, open.pending.length);
      const verdict = referenceUtf8(text);
      if (verdict.errorAt >= 0) return fail(E_UTF8, start + verdict.errorAt - open.pending.length);
      open.pending = text.slice(text.length - verdict.pending);
      if (available === length && fin && verdict.state !== 0) return fail(E_UTF8, start + length);
    }
    if (available < length) break;
    frames.push({ info: b0, headerLength, payload, messageEnd: fin });
    if (fin) message = null;
    pos = start + length;
  }
  return { frames, error: null, closed: false };
}
