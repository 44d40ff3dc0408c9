// Byte buffers for payloads: Node's Buffer where it exists (what `ws` users expect, and
// allocUnsafe draws small ones from a pool), a plain Uint8Array in browsers.

/** A payload: a Buffer in Node, a Uint8Array elsewhere. */
export type Bytes = Uint8Array;

type BufferLike = { allocUnsafe(size: number): Uint8Array; from(s: string, e: string): Uint8Array };
const NodeBuffer: BufferLike | undefined = (globalThis as { Buffer?: BufferLike }).Buffer;

/** Whether payloads are Node Buffers (else plain Uint8Arrays: browsers). */
export const HAS_NODE_BUFFER = NodeBuffer !== undefined;

/** True for a Node Buffer (whose subarray is a Buffer too). */
export const isNodeBuffer: (bytes: Uint8Array) => boolean = NodeBuffer !== undefined
  ? (bytes) => (NodeBuffer as unknown as { isBuffer(b: unknown): boolean }).isBuffer(bytes)
  : () => false;

/** Uninitialised bytes (every byte is overwritten by the caller before anyone reads it). */
export const allocBytes: (size: number) => Bytes = NodeBuffer !== undefined
  ? (size) => NodeBuffer.allocUnsafe(size)
  : (size) => new Uint8Array(size);

/** A copy of `bytes` in memory of its own (in Node, from the Buffer pool when small). */
export function copyBytes(bytes: Uint8Array): Bytes {
  const copy = allocBytes(bytes.length);
  copy.set(bytes);
  return copy;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export const utf8Bytes: (text: string) => Bytes = NodeBuffer !== undefined
  ? (text) => NodeBuffer.from(text, 'utf8')
  : (text) => encoder.encode(text);

/** The bytes of any binary value, without copying (a view of exactly its bytes). */
export function viewBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}
