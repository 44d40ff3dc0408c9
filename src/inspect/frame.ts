// One frame, read and judged on its own: header checks (RFC 6455 sections 5.1, 5.2, 5.5),
// the unmasked payload, and a close frame's code and reason. What depends on the frames
// before it (fragmentation, text across fragments, compression) is in stream.ts.
import type { Codec } from '../codec/types.js';
import { maskKey } from '../codec/types.js';
import { headerFields, isNonMinimal, readHeader, type RawHeader } from './header.js';
import { closeCodeName, isControlOpcode, isReservedOpcode, isSendableCloseCode, opcodeName } from './registry.js';
import { problem } from './problems.js';
import { decodeText, hexView, looksLikeText, printable, printableAscii, textPreview } from './payload.js';
import type { CloseInfo, HeaderField, InspectedFrame, MessageInfo, Problem, Role } from './types.js';

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
  if (looksLikeText(bytes)) return textPreview(bytes, PREVIEW_CHARS);
  return hexPreview(bytes);
}

/** The preview of bytes that are not text: their first 16 in hex. */
function hexPreview(bytes: Uint8Array): string {
  return `0x ${hexView(bytes, 16)}`;
}

/**
 * Sets the frame's preview to textPreview of its payload (`text`), or bytesPreview of it,
 * and notes when that preview is the payload's first bytes as they are (printable ASCII):
 * a table can then copy them instead of encoding the string (WireFrame.previewIsPayload).
 * With `lazy` (InspectOptions.lazyPreviews), such a preview is left '' (see previewText).
 */
export function previewPayload(frame: WireFrame, text: boolean, lazy: boolean): void {
  const p = frame.payload;
  if (!text && (p.length === 0 || !looksLikeText(p))) {
    frame.preview = p.length === 0 ? '' : hexPreview(p); // as bytesPreview (looksLikeText is read once)
    return;
  }
  if (p.length > 0 && printableAscii(p, PREVIEW_CHARS)) {
    frame.preview = lazy ? '' : textPreview(p, PREVIEW_CHARS);
    frame.markPayloadPreview();
    return;
  }
  frame.preview = textPreview(p, PREVIEW_CHARS);
}

/** A frame's preview; made from its payload when it was left '' (InspectOptions.lazyPreviews). */
export function previewText(f: InspectedFrame): string {
  return f.preview === '' && WireFrame.previewIsPayload(f) ? textPreview(f.payload, PREVIEW_CHARS) : f.preview;
}

/**
 * A frame read from the wire. Its header fields (names, byte ranges, shown values), masking
 * key and payload hex are made on first use: a table of thousands of frames never builds
 * them. They are accessors, so a spread (`{ ...frame }`) leaves them out: use `toJSON()`
 * for a plain object.
 */
export class WireFrame implements InspectedFrame {
  readonly kind = 'frame' as const;
  index = 0;
  connection = 0;
  declare time?: number;
  declare packet?: number;
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  readonly opcode: number;
  readonly opcodeName: string;
  readonly masked: boolean;
  readonly lengthEncoding: 7 | 16 | 64;
  readonly payloadLength: number;
  readonly truncated: boolean;
  readonly headerLength: number;
  preview = '';
  declare close?: CloseInfo;
  declare message?: MessageInfo;
  readonly problems: Problem[] = [];
  #fields: readonly HeaderField[] | undefined;
  /** Hex of the payload: made on first use, of the first `#hexBytes` bytes (-1: none). */
  #hex: string | undefined;
  #hexBytes = -1;
  /** The preview when it was set as the payload's first bytes, unchanged (see previewPayload). */
  #payloadPreview: string | undefined;

  constructor(
    readonly direction: Role, readonly offset: number, readonly header: Uint8Array, h: RawHeader,
    readonly payload: Uint8Array, captured: number,
  ) {
    const b0 = h.b0;
    this.fin = (b0 & 0x80) !== 0;
    this.rsv1 = (b0 & 0x40) !== 0;
    this.rsv2 = (b0 & 0x20) !== 0;
    this.rsv3 = (b0 & 0x10) !== 0;
    this.opcode = h.opcode;
    this.opcodeName = opcodeName(h.opcode);
    this.masked = h.masked;
    this.lengthEncoding = h.encoding;
    this.payloadLength = h.length;
    this.truncated = captured < h.length;
    this.headerLength = h.headerLength;
  }

  get maskingKey(): readonly number[] | null {
    const k = this.header.length - 4;
    return this.masked ? [this.header[k], this.header[k + 1], this.header[k + 2], this.header[k + 3]] : null;
  }

  /** Hex of the payload's first bytes (binary, control and compressed frames). */
  get hex(): string | undefined {
    if (this.#hex === undefined && this.#hexBytes >= 0) this.#hex = hexView(this.payload, this.#hexBytes);
    return this.#hex;
  }

  set hex(value: string | undefined) {
    this.#hex = value;
    this.#hexBytes = -1;
  }

  /** The payload gets a hex view of its first `bytes` bytes (made when first read). */
  showHex(bytes: number): void {
    this.#hex = undefined;
    this.#hexBytes = bytes;
  }

  /** Notes that the current preview is the payload's first bytes as they are (see previewPayload). */
  markPayloadPreview(): void {
    this.#payloadPreview = this.preview;
  }

  /**
   * True when `f`'s preview is still textPreview of its payload shown as it is: the payload's
   * first PREVIEW_CHARS bytes are printable ASCII, and the preview is them (with '…' after
   * when there are more).
   */
  static previewIsPayload(f: InspectedFrame): boolean {
    return f instanceof WireFrame && f.#payloadPreview !== undefined && f.#payloadPreview === f.preview;
  }

  get fields(): readonly HeaderField[] {
    return this.#fields ??= headerFields(readHeader(this.header, 0) as RawHeader, this.header, this.offset);
  }

  /** A plain object, in the order of InspectedFrame's documentation. */
  toJSON(): InspectedFrame {
    const f: InspectedFrame = {
      kind: this.kind, index: this.index, connection: this.connection, direction: this.direction,
      ...(this.time === undefined ? {} : { time: this.time }), ...(this.packet === undefined ? {} : { packet: this.packet }),
      offset: this.offset, headerLength: this.headerLength, fin: this.fin, rsv1: this.rsv1, rsv2: this.rsv2, rsv3: this.rsv3,
      opcode: this.opcode, opcodeName: this.opcodeName, masked: this.masked, maskingKey: this.maskingKey,
      lengthEncoding: this.lengthEncoding, payloadLength: this.payloadLength, fields: this.fields, header: this.header,
      payload: this.payload, truncated: this.truncated, preview: this.preview,
      ...(this.hex === undefined ? {} : { hex: this.hex }), ...(this.close === undefined ? {} : { close: this.close }),
      ...(this.message === undefined ? {} : { message: this.message }),
      problems: this.problems,
    };
    return f;
  }
}

/** A frame as a plain object (a WireFrame's accessors made into properties), for spreading. */
export function plainFrame(f: InspectedFrame): InspectedFrame {
  return f instanceof WireFrame ? f.toJSON() : f;
}

/**
 * Reads the frame whose header bytes are `header` (read as `h`) at stream offset `at`, with
 * `captured` payload bytes present in `payload`, which is unmasked in place when masked (the
 * caller passes a copy of masked bytes; unmasked ones may be views of the stream).
 */
export function readFrame(
  ctx: FrameContext, header: Uint8Array, h: RawHeader, payload: Uint8Array, at: number, captured: number, time: number | undefined,
): WireFrame {
  if (h.masked && captured > 0) ctx.codec.mask(payload, maskKey(header, h.headerLength - 4), 0);
  const opcode = h.opcode;
  const frame = new WireFrame(ctx.role, at, header, h, payload, captured);
  if (time !== undefined) frame.time = time;
  checkHeader(ctx, frame, h, at);
  if (isReservedOpcode(opcode) || isControlOpcode(opcode)) {
    frame.showHex(ctx.hexBytes);
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
