// Ways to show a payload: a printable preview, a hex view, and decoded views (JSON,
// MessagePack, CBOR), each given only when the bytes parse completely as that format.
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { decode as decodeCbor } from 'cborg';
import type { Codec } from '../codec/types.js';
import { createCodec } from '../codec/index.js';
import { cborEnd, jsonShaped, msgpackEnd } from './shape.js';
import type { PayloadViews } from './types.js';

const lossy = new TextDecoder('utf-8', { fatal: false });
let shared: Codec | undefined;

/** The codec the inspector uses when it is given none (made on first use). */
export function inspectorCodec(): Codec {
  return shared ??= createCodec();
}

/** True when the bytes are valid UTF-8 (the codec's validator; no exception on failure). */
function isUtf8(bytes: Uint8Array): boolean {
  return inspectorCodec().validateUtf8(bytes, 0) === 0;
}

/** '00'…'ff'. */
const HEX = Array.from({ length: 256 }, (_, b) => (b < 16 ? '0' : '') + b.toString(16));

/** UTF-8 text (U+FFFD for invalid bytes). */
export function decodeText(bytes: Uint8Array): string {
  return lossy.decode(bytes);
}

/** Escapes control characters so a preview stays on one line. */
export function printable(text: string, max: number): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  // eslint-disable-next-line no-control-regex
  const shown = cut.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : '·'));
  return text.length > max ? `${shown}…` : shown;
}

/**
 * `printable(decodeText(bytes.subarray(0, 4 * max)), max)`: the preview of UTF-8 text. When
 * its first `max` bytes (or all) are printable ASCII, only those are decoded (any byte after
 * them makes at least one more character: the ellipsis).
 */
export function textPreview(bytes: Uint8Array, max: number): string {
  if (!printableAscii(bytes, max)) return printable(decodeText(bytes.subarray(0, max * 4)), max);
  return bytes.length > max ? `${lossy.decode(bytes.subarray(0, max))}…` : lossy.decode(bytes);
}

/** True when the first `max` bytes (or all, when fewer) are printable ASCII: textPreview shows them as they are. */
export function printableAscii(bytes: Uint8Array, max: number): boolean {
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b < 0x20 || b > 0x7e) return false;
  }
  return true;
}

/** Hex of the first `max` bytes, space separated. */
export function hexView(bytes: Uint8Array, max = 256): string {
  const n = Math.min(bytes.length, max);
  if (n === 0) return bytes.length > max ? '…' : '';
  let out = HEX[bytes[0]];
  for (let i = 1; i < n; i++) out += ` ${HEX[bytes[i]]}`;
  return bytes.length > max ? `${out} …` : out;
}

/** True when the bytes are text a person can read (valid UTF-8, few control characters). */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  let control = 0;
  const n = Math.min(bytes.length, 512);
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) control++;
  }
  if (control * 20 > n) return false;
  return isUtf8(bytes);
}

const MAX_VIEW_CHARS = 4000;

/** JSON.stringify that shows what MessagePack and CBOR can hold and JSON cannot. */
export function stringifyValue(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Uint8Array) return `<${v.length} bytes: ${hexView(v, 32)}>`;
    if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), x]));
    if (v instanceof Set) return [...v];
    if (v === undefined) return '<undefined>';
    return v;
  }) ?? String(value);
  return text.length > MAX_VIEW_CHARS ? `${text.slice(0, MAX_VIEW_CHARS)}…` : text;
}

/**
 * The decoded views of a complete message (`text` when it is a text message). A decoder
 * runs only when a structural check says the bytes can be exactly one value of its format.
 */
export function payloadViews(data: Uint8Array, text: string | undefined, maxBytes: number): PayloadViews {
  const views: PayloadViews = {};
  if (data.length === 0 || data.length > maxBytes) return views;
  // Only an object or array is tried as JSON (`text`, when given, is `data` decoded).
  const asText = jsonShaped(data) ? text ?? (looksLikeText(data) ? decodeText(data) : undefined) : undefined;
  if (asText !== undefined) {
    try {
      views.json = stringifyValue(JSON.parse(asText));
    } catch { /* not JSON */ }
  }
  if (text !== undefined) return views;
  // Binary: a MessagePack or CBOR view only when the whole payload is exactly one value.
  if (msgpackEnd(data) === data.length) {
    try {
      views.msgpack = stringifyValue(decodeMsgpack(data));
    } catch { /* not MessagePack */ }
  }
  if (cborEnd(data) === data.length) {
    try {
      views.cbor = stringifyValue(decodeCbor(data));
    } catch { /* not CBOR */ }
  }
  return views;
}

/** A one-line summary of decoded views (the first that parsed). */
export function viewPreview(views: PayloadViews, max: number): string | undefined {
  if (views.json !== undefined) return `json ${printable(views.json, max)}`;
  if (views.msgpack !== undefined) return `msgpack ${printable(views.msgpack, max)}`;
  if (views.cbor !== undefined) return `cbor ${printable(views.cbor, max)}`;
  return undefined;
}
