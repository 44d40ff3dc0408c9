// `ws` (software we did not write) as an independent peer: its Sender.frame builds frames for
// our Decoder, its Receiver reads what our Encoder writes. Both come from the package's public
// exports (ws/lib/* is not exported); neither has typings, hence the small interfaces here.
import * as wsModule from 'ws';
import type { Writable } from 'node:stream';
import { bounds, show, type Event } from './harness.js';

interface FrameOptions {
  fin: boolean;
  opcode: number;
  rsv1?: boolean;
  mask?: boolean;
  readOnly?: boolean;
}
interface SenderStatic {
  frame(data: Buffer, options: FrameOptions): Buffer[];
}
type ReceiverCtor = new (options: { isServer: boolean; maxPayload: number; skipUTF8Validation?: boolean }) => Writable;

const { Sender, Receiver } = wsModule as unknown as { Sender: SenderStatic; Receiver: ReceiverCtor };

/** One frame as ws's Sender builds it (masked with a key from ws's own random pool). */
export function wsFrame(opcode: number, data: Uint8Array, options: { fin?: boolean; mask: boolean; rsv1?: boolean }): Uint8Array {
  // readOnly: ws masks into a new buffer instead of our data.
  const parts = Sender.frame(Buffer.from(data), { fin: options.fin ?? true, opcode, rsv1: options.rsv1 ?? false, mask: options.mask, readOnly: true });
  return new Uint8Array(Buffer.concat(parts));
}

/** The error event of a ws error: its stable code and the close code it asks for. */
function wsError(err: Error & { code?: string }): Event {
  const status = Object.getOwnPropertySymbols(err).map((s) => (err as unknown as Record<symbol, unknown>)[s]).find((v) => typeof v === 'number');
  return { type: 'error', code: String(err.code), closeCode: Number(status), offset: -1, message: err.message };
}

/**
 * Writes `bytes` (cut at `cuts`) to a ws Receiver and returns its events in our shape.
 * `isServer`: the Receiver expects masked frames. Stops writing after a close or an error.
 */
export async function wsReceive(bytes: Uint8Array, cuts: readonly number[], isServer: boolean): Promise<Event[]> {
  const receiver = new Receiver({ isServer, maxPayload: 0 });
  const events: Event[] = [];
  let done = false;
  receiver.on('message', (data: Buffer, isBinary: boolean) => void events.push({ type: 'message', data: show(data), binary: isBinary, compressed: false }));
  receiver.on('ping', (data: Buffer) => void events.push({ type: 'ping', data: show(data) }));
  receiver.on('pong', (data: Buffer) => void events.push({ type: 'pong', data: show(data) }));
  receiver.on('conclude', (code: number, reason: Buffer) => {
    done = true;
    events.push({ type: 'close', code, reason: show(reason) });
  });
  const failed = new Promise<void>((resolve) => receiver.once('error', (err: Error) => {
    done = true;
    events.push(wsError(err));
    resolve();
  }));
  for (const [a, b] of bounds(bytes.length, cuts)) {
    if (done || receiver.destroyed) break;
    if (b > a) receiver.write(Buffer.from(bytes.subarray(a, b))); // a copy: ws unmasks in place
  }
  // Events are synchronous; a write error is emitted on a later tick.
  await Promise.race([failed, new Promise((resolve) => setImmediate(resolve))]);
  return events;
}
