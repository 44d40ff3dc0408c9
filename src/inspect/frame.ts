// One frame, read and judged on its own: header checks (RFC 6455 sections 5.1, 5.2, 5.5),
// the unmasked payload, and a close frame's code and reason. What depends on the frames
// before it (fragmentation, text across fragments, compression) is in stream.ts.
import type { Codec } from '../codec/types.js';
import { maskKey } from '../codec/types.js';
import { headerFields, isNonMinimal, type RawHeader } from './header.js';
import { closeCodeName, isControlOpcode, isReservedOpcode, isSendableCloseCode, opcodeName } from './registry.js';
import { problem } from './problems.js';
import { decodeText, hexView, looksLikeText, printable } from './payload.js';
import type { InspectedFrame, Role } from './types.js';

export const PREVIEW_CHARS = 60;

export interface FrameContext {
  readonly codec: Codec;
  readonly role: Role;
  /** permessage-deflate negotiated (RSV1 allowed on a data message's first frame). */
  readonly deflate: boolean;
  readonly hexBytes: number;
}

/** A preview of bytes that may or may not be text. */
export function bytesPreview(bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  if (looksLikeText(bytes)) return printable(decodeText(bytes.subarray(0, PREVIEW_CHARS * 4)), PREVIEW_CHARS);
  return `0x ${hexView(bytes, 16)}`;
}

/**
 * Reads the frame whose header is `h` at `buf[p]` (absolute offset `at`), with `captured`
 * payload bytes present. The payload is copied, then unmasked by the codec.
 */
export function readFrame(
  ctx: FrameContext, buf: Uint8Array, p: number, at: number, h: RawHeader, captured: number, time: number | undefined,
): InspectedFrame {
  const start = p + h.headerLength;
  const payload = buf.slice(start, start + captured);
  if (h.masked && captured > 0) ctx.codec.mask(payload, maskKey(buf, h.keyAt), 0);
  const b0 = h.b0;
  const opcode = h.opcode;
  const frame: InspectedFrame = {
    kind: 'frame', index: 0, connection: 0, direction: ctx.role, offset: at, headerLength: h.headerLength,
    fin: (b0 & 0x80) !== 0, rsv1: (b0 & 0x40) !== 0, rsv2: (b0 & 0x20) !== 0, rsv3: (b0 & 0x10) !== 0,
    opcode, opcodeName: opcodeName(opcode), masked: h.masked,
    maskingKey: h.masked ? [buf[h.keyAt], buf[h.keyAt + 1], buf[h.keyAt + 2], buf[h.keyAt + 3]] : null,
    lengthEncoding: h.encoding, payloadLength: h.length, fields: headerFields(h, buf, p, at),
    header: buf.slice(p, start), payload, truncated: captured < h.length, preview: '', problems: [],
  };
  if (time !== undefined) frame.time = time;
  checkHeader(ctx, frame, h, at);
  if (isReservedOpcode(opcode) || isControlOpcode(opcode)) {
    frame.hex = hexView(payload, ctx.hexBytes);
    frame.preview = bytesPreview(payload);
  }
  if (opcode === 0x8) readClose(ctx, frame, at + h.headerLength);
  return frame;
}

/** The checks that need nothing but the header. */
function checkHeader(ctx: FrameContext, f: InspectedFrame, h: RawHeader, at: number): void {
  const problems = f.problems;
  const control = isControlOpcode(f.opcode);
  // RFC 7692 section 6: RSV1 only when negotiated, and only on a data message's first frame.
  if (f.rsv1 && (!ctx.deflate || control || f.opcode === 0)) {
    const why = !ctx.deflate ? 'no extension negotiated' : control ? 'on a control frame' : 'on a continuation frame';
    problems.push(problem('rsv1', at, why));
  }
  if (f.rsv2 || f.rsv3) problems.push(problem('rsv23', at, f.rsv2 && f.rsv3 ? 'RSV2 and RSV3 set' : f.rsv2 ? 'RSV2 set' : 'RSV3 set'));
  if (isReservedOpcode(f.opcode)) {
    problems.push(problem('opcode', at, `opcode 0x${f.opcode.toString(16)}`));
  } else if (control) {
    if (!f.fin) problems.push(problem('controlFin', at, `${f.opcodeName} without FIN`));
    if (h.length > 125) problems.push(problem('controlLength', at + 1, `${h.length} bytes`));
  }
  if (ctx.role === 'client' && !h.masked) problems.push(problem('maskExpected', at + 1, 'MASK is 0 on a frame sent by the client'));
  if (ctx.role === 'server' && h.masked) problems.push(problem('maskUnexpected', at + 1, 'MASK is 1 on a frame sent by the server'));
  if (h.lengthMsb) problems.push(problem('lengthMsb', at + 2));
  if (isNonMinimal(h)) problems.push(problem('lengthNotMinimal', at + 1, `${h.length} in the ${h.encoding}-bit form`));
}

/** RFC 6455 section 5.5.1: nothing, or a 2-byte code and a UTF-8 reason. */
function readClose(ctx: FrameContext, f: InspectedFrame, payloadAt: number): void {
  const p = f.payload;
  if (p.length === 0) {
    f.close = { reason: '' };
    f.preview = f.truncated ? '' : '(no status code)';
    return;
  }
  if (p.length === 1) {
    if (!f.truncated) f.problems.push(problem('closeLength', payloadAt));
    f.close = { reason: '' };
    f.preview = `0x ${hexView(p)}`;
    return;
  }
  const code = (p[0] << 8) | p[1];
  const name = closeCodeName(code);
  if (!isSendableCloseCode(code)) f.problems.push(problem('closeCode', payloadAt, `code ${code}: ${name}`));
  const reasonBytes = p.subarray(2);
  const state = ctx.codec.validateUtf8(reasonBytes, 0);
  if (state < 0) {
    f.problems.push(problem('closeUtf8', payloadAt + 2 + (-1 - state)));
  } else if (state !== 0 && !f.truncated) {
    f.problems.push(problem('closeUtf8', payloadAt + p.length - 1, 'the reason ends inside a character'));
  }
  const reason = decodeText(reasonBytes);
  f.close = { code, name, reason };
  f.preview = printable(`${code} ${name}${reason ? `: ${reason}` : ''}`, PREVIEW_CHARS);
}
