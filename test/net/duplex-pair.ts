// An in-memory socket pair, and a sans-I/O peer on one end (our own Decoder and Encoder in
// the client role), so a server-side WebSocket can be tested without TCP.
//
//   WebSocket(null) ─ _setSocket(a) ─ a ⇄ b ─ Peer: Decoder('client') → events
//                                              Encoder('client') → masked frames
import { Duplex } from 'node:stream';
import { Decoder, Encoder, WebSocket, type ConnectionOptions } from '../../src/index.js';
import type { FrameError } from '../../src/codec/errors.js';
import { onCleanup } from './harness.js';

/** One end of an in-memory pair: what it writes, the other end reads. */
export class PairEnd extends Duplex {
  peer!: PairEnd;
  /** When true, writes are accepted but never complete (a peer that stopped reading). */
  stalled = false;
  private stalledCallbacks: Array<() => void> = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.stalled) {
      this.stalledCallbacks.push(() => { this.peer.push(chunk); callback(); });
      return;
    }
    this.peer.push(chunk);
    callback();
  }

  override _read(): void {}

  override _final(callback: (error?: Error | null) => void): void {
    this.peer.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stalledCallbacks = [];
    // Like TCP: the other side sees the end of the stream, then closes.
    if (!this.peer.destroyed) {
      this.peer.push(null);
      setImmediate(() => this.peer.destroy());
    }
    callback(error);
  }

  /** Lets stalled writes through. */
  unstall(): void {
    this.stalled = false;
    const pending = this.stalledCallbacks;
    this.stalledCallbacks = [];
    for (const run of pending) run();
  }
}

export function duplexPair(): [PairEnd, PairEnd] {
  const a = new PairEnd();
  const b = new PairEnd();
  a.peer = b;
  b.peer = a;
  onCleanup(() => { a.destroy(); b.destroy(); });
  return [a, b];
}

export interface PeerMessage {
  data: Buffer;
  isBinary: boolean;
}

/** The client side of a pair, decoding what the WebSocket under test writes. */
export class Peer {
  readonly messages: PeerMessage[] = [];
  readonly pings: Buffer[] = [];
  readonly pongs: Buffer[] = [];
  readonly closes: Array<{ code: number; reason: Buffer }> = [];
  readonly errors: FrameError[] = [];
  readonly encoder = new Encoder({ role: 'client' });
  ended = false;

  constructor(readonly socket: PairEnd) {
    const decoder = new Decoder({ role: 'client' }, {
      onMessage: (data, isBinary) => this.messages.push({ data: Buffer.from(data), isBinary }),
      onPing: (data) => this.pings.push(Buffer.from(data)),
      onPong: (data) => this.pongs.push(Buffer.from(data)),
      onClose: (code, reason) => this.closes.push({ code, reason: Buffer.from(reason) }),
      onError: (error) => this.errors.push(error),
    });
    socket.on('data', (chunk: Buffer) => decoder.feed(chunk));
    // Like a TCP socket without allowHalfOpen: the end of the stream ends our side too.
    socket.on('end', () => { this.ended = true; socket.end(); });
  }

  /** Writes frames as a client would (masked). */
  write(frames: Uint8Array | Uint8Array[]): void {
    for (const f of Array.isArray(frames) ? frames : [frames]) this.socket.write(f);
  }
}

/** A server-role WebSocket over one end of a pair, with a Peer on the other. */
export function serverOverPair(options: ConnectionOptions = {}): { ws: WebSocket; peer: Peer; socket: PairEnd; remote: PairEnd } {
  const [socket, remote] = duplexPair();
  const ws = new WebSocket(null);
  ws._setSocket(socket, Buffer.alloc(0), options);
  onCleanup(() => ws.terminate());
  return { ws, peer: new Peer(remote), socket, remote };
}
