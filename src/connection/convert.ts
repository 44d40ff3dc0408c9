// Conversions between what users pass or expect and the bytes on the wire.
import { utf8Bytes, viewBytes } from '../protocol/bytes.js';

export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob';
export const BINARY_TYPES: readonly BinaryType[] = ['nodebuffer', 'arraybuffer', 'fragments', 'blob'];

/** What send() accepts besides a Blob (which is read asynchronously first). */
export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView | readonly Buffer[] | number;

/** The bytes to send for `data`. */
export function toPayload(data: SendData): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return utf8Bytes(data);
  if (ArrayBuffer.isView(data) || data instanceof ArrayBuffer) return viewBytes(data);
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]);
  // ws sends anything else as its string form (numbers, say).
  return utf8Bytes(String(data));
}

/** Whether `data` goes out as a binary message by default (text: strings and what ws stringifies). */
export function isBinaryData(data: SendData): boolean {
  return data instanceof Uint8Array || ArrayBuffer.isView(data) || data instanceof ArrayBuffer || Array.isArray(data);
}

/** A received binary payload in the shape `binaryType` asks for. */
export function fromPayload(data: Buffer, binaryType: BinaryType): unknown {
  switch (binaryType) {
    case 'nodebuffer': return data;
    case 'arraybuffer':
      return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
        ? data.buffer
        : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    case 'fragments': return [data];
    case 'blob': return new Blob([data as Uint8Array<ArrayBuffer>]);
  }
}

/** Whether `value` is a Blob (present in Node 18+ and browsers). */
export function isBlob(value: unknown): value is Blob {
  return typeof Blob !== 'undefined' && value instanceof Blob;
}
