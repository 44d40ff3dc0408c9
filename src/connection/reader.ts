// Reading a TCP socket into one buffer shared by every connection of the process, instead
// of Node's 'data' events, which allocate a 64 KiB buffer per read (and on Node 20 copy a
// short read into a buffer of its size). Node offers this for sockets given `onread` when
// they are created (net.connect's option); an accepted socket, or one handed over by an
// HTTP server's 'upgrade', was created without it, so the same switch is made here on the
// live socket: its own onread slots (found by their symbols' descriptions) and its
// handle's useUserBuffer. Where any part is missing (another runtime, a TLS socket, a
// Duplex that is not a socket) nothing changes and the caller keeps the 'data' events.
//
//   kernel ─► shared buffer (up to READ_SIZE per read call) ─► onRead(n) ─► decoder copies what it keeps
//
// One buffer serves every socket because a read's callback runs to its end before the
// next read, on any socket; the caller must copy what it keeps (Decoder.feed's
// `transient`).
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Bytes one read call may take. Node's reads take 64 KiB; 1 MiB lets a busy connection's
 * queued frames come in one call. Two runs each at 16 × 64 KiB echo (noisy): 256 KiB gave
 * 23 and 31 k msg/s, 1 MiB 28 and 33 k, Node's own reads 14 to 20 k.
 */
export const READ_SIZE = 1024 * 1024;

let shared: Buffer | null = null;

interface Slots { buffer: symbol; callback: symbol; generator: symbol }
/** The socket's onread slots once looked up; null where this runtime has none. */
let slots: Slots | null | undefined;

function findSlots(socket: Socket): Slots | null {
  if (slots !== undefined) return slots;
  const symbols = Object.getOwnPropertySymbols(socket);
  const named = (name: string) => symbols.find((s) => s.description === name);
  const buffer = named('kBuffer');
  const callback = named('kBufferCb');
  const generator = named('kBufferGen');
  slots = buffer && callback && generator ? { buffer, callback, generator } : null;
  return slots;
}

type Handle = { useUserBuffer?: (buffer: Uint8Array) => void };
type ReadCallback = (this: Duplex, length: number, buffer: Buffer) => void;

/**
 * Switches `socket` to reading into the shared buffer: `onRead` (with `this` the socket)
 * gets each read's length, and reading stops and starts with socket.pause()/resume() as
 * before. Returns false, changing nothing, where it cannot: not a plain connected TCP
 * socket, bytes already buffered or a 'data' listener (someone else reads it), or this
 * runtime lacks the slots.
 */
export function readIntoShared(socket: Duplex, onRead: ReadCallback): boolean {
  if (!(socket instanceof Socket) || (socket as { encrypted?: boolean }).encrypted) return false;
  if (socket.connecting || socket.destroyed || socket.readableLength !== 0 || socket.listenerCount('data') !== 0) return false;
  const handle = (socket as unknown as { _handle?: Handle | null })._handle;
  if (handle == null || typeof handle.useUserBuffer !== 'function') return false;
  const s = findSlots(socket);
  if (s === null) return false;
  const own = socket as unknown as Record<symbol, unknown>;
  // Created with an onread of its own; or a generator slot that is not exactly null, which
  // Node's read path would call after every read.
  if (own[s.buffer] != null || own[s.generator] !== null) return false;
  const buffer = (shared ??= Buffer.allocUnsafe(READ_SIZE));
  handle.useUserBuffer(buffer);
  own[s.buffer] = buffer;
  own[s.callback] = onRead;
  return true;
}

/** Whether `socket` reads into the shared buffer (for tests and diagnostics). */
export function readsShared(socket: Duplex): boolean {
  return slots != null && shared !== null && (socket as unknown as Record<symbol, unknown>)[slots.buffer] === shared;
}
