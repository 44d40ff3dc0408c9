// Outgoing frames, batched per tick: frames sent in one tick are remembered (payload and
// header bits), and when the tick ends they are encoded into one buffer of exactly their
// size and written with one socket.write. Large payloads are not copied: they follow their
// header as their own buffer under one cork. ws does one socket.write per frame; that
// per-write cost is what we save. No payload or buffer is kept between ticks (only the
// small arrays that list them), so an idle connection holds no buffer at all.
//
//   send, send, send ─► [payload, bits] … ──(end of the read, else process.nextTick)──► [hdr|p|hdr|p|hdr|p] ─► write
//   send(big) ─► … [hdr|p|hdr] [big payload, as is] … ─► cork, write, write, uncork
//
// The one-buffer case writes from a scratch buffer shared by every connection of the
// process: a TCP socket's write usually completes at once (the kernel has copied the
// bytes when socket.write returns), and then the same memory serves the next flush, on
// any connection, instead of a new buffer per flush. A write that waits (the socket's
// buffer is full) keeps the scratch buffer, and the next flush takes a new one.
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Codec } from '../codec/types.js';
import { KeyPool, headerLength, writeHeader } from '../protocol/encoder.js';
import { allocBytes, copyBytes } from '../protocol/bytes.js';
import { lending } from '../protocol/decoder.js';

/** Payloads at least this long travel as their own buffer (no copy when unmasked). */
const LARGE = 16 * 1024;
/** The scratch buffer's size: flushes larger than this get their own buffer. */
const SCRATCH_SIZE = 64 * 1024;
let scratch: Uint8Array | null = null;

/**
 * While received bytes are being decoded (`receiving` > 0: inside a socket's 'data'
 * listener), writers given frames wait here and are flushed when the outermost receive
 * returns, instead of each scheduling a process.nextTick: an echo or a broadcast made in a
 * message handler goes out at the end of that read, with no tick job per writer per read.
 */
let receiving = 0;
/** The writers given frames meanwhile, in the first `heldCount` slots (kept, not regrown per read). */
const held: Array<Writer | null> = [];
let heldCount = 0;

/** Marks the start of decoding a received chunk (see `receiving`). */
export function receiveStart(): void {
  receiving++;
}

/**
 * Marks its end: the outermost one flushes every writer that was given frames meanwhile.
 * Should a flush throw, the writers after it flush at the end of the tick instead (each is
 * still marked scheduled, so it would otherwise never be flushed again).
 */
export function receiveEnd(): void {
  if (--receiving > 0) return;
  let i = 0;
  try {
    for (; i < heldCount; i++) held[i]!.flush();
  } finally {
    for (i++; i < heldCount; i++) process.nextTick(flushWriter, held[i]);
    held.fill(null, 0, heldCount);
    heldCount = 0;
  }
}

type Callback = (error?: Error | null) => void;

const FIN = 0x80;
const RSV1 = 0x40;

export class Writer {
  /**
   * Frames sent this tick: payloads, and header byte 0 (FIN | RSV1 | opcode) of each, in
   * the first `count` slots. The arrays are kept from flush to flush (emptying one with
   * `length = 0` frees its storage, so every flush grew a new one) with their payload
   * slots cleared, so nothing sent stays referenced; `out` likewise holds encode's buffers.
   */
  private payloads: Uint8Array[] = [];
  private bits: number[] = [];
  private count = 0;
  private out: Uint8Array[] = [];
  /** Bytes the queued frames will take on the wire. */
  private queuedBytes = 0;
  private callbacks: Callback[] = [];
  private scheduled = false;
  /** Masking keys, for clients only (created on first use: servers carry none). */
  private keys: KeyPool | null = null;
  private closed = false;
  /**
   * Whether writes may come from the shared scratch buffer: only on a net.Socket (TCP or
   * TLS), which is done with a chunk once its write has completed. Other Duplex streams
   * (an in-memory pair, say) may hand the very chunk on to a reader.
   */
  private readonly scratchOk: boolean;

  constructor(
    private readonly socket: Duplex,
    private readonly masked: boolean,
    private readonly codec: Codec,
  ) {
    this.scratchOk = socket instanceof Socket;
  }

  /** Bytes accepted but not yet handed to the socket. */
  get pending(): number {
    return this.queuedBytes;
  }

  /** Queues one frame; `cb` runs once it has been written (or failed). */
  frame(opcode: number, payload: Uint8Array, fin: boolean, rsv1: boolean, cb?: Callback): void {
    if (this.closed) {
      if (cb) callLater(cb, closedError());
      return;
    }
    // A borrowed payload (a view into the codec's memory) is overwritten by the next parse,
    // before this tick's write: keep a copy, from Node's buffer pool when it is small
    // (slice() made an ArrayBuffer per message: an echo of borrowed 1 KiB payloads, 16
    // connections × 64 in flight, ran at 578-603 k msg/s with it, 761-862 k with this).
    const n = this.count++;
    this.payloads[n] = lending && this.codec.owns(payload) ? copyBytes(payload) : payload;
    this.bits[n] = (fin ? FIN : 0) | (rsv1 ? RSV1 : 0) | opcode;
    this.queuedBytes += headerLength(payload.length, this.masked) + payload.length;
    if (cb) this.callbacks.push(cb);
    if (!this.scheduled) {
      this.scheduled = true;
      if (receiving > 0) held[heldCount++] = this;
      else process.nextTick(flushWriter, this);
    }
  }

  /** Encodes and writes everything queued, now (the end of a read or tick, or before closing). */
  flush(): void {
    this.scheduled = false;
    const n = this.count;
    if (n === 0) return;
    this.count = 0;
    const callbacks = this.callbacks;
    // The callbacks wait for the write, so the next tick gets a new array.
    if (callbacks.length > 0) this.callbacks = [];
    this.queuedBytes = 0;
    const done = callbacks.length === 0 ? undefined : callAll(callbacks);
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) {
      this.release(n);
      if (done) callLater(done, closedError());
      return;
    }
    const buffers = this.encode(n);
    this.release(n);
    const out = this.out;
    if (buffers === 1) {
      const chunk = out[0];
      socket.write(chunk, done);
      // Still queued in the socket (not yet with the kernel): the socket keeps the scratch.
      if (scratch !== null && chunk.buffer === scratch.buffer && socket.writableLength !== 0) scratch = null;
    } else {
      socket.cork();
      for (let i = 0; i < buffers - 1; i++) socket.write(out[i]);
      socket.write(out[buffers - 1], done);
      socket.uncork();
    }
    this.out = emptied(out, buffers);
  }

  /**
   * The wire bytes for the first `n` queued frames, into `out` (how many buffers is the
   * result): runs of small frames in one buffer each.
   */
  private encode(n: number): number {
    const payloads = this.payloads;
    const bits = this.bits;
    const out = this.out;
    let buffers = 0;
    const masked = this.masked;
    let i = 0;
    while (i < n) {
      // A run of small frames, and the header of the large frame that ends it, if any.
      let size = 0;
      let j = i;
      for (; j < n; j++) {
        const length = payloads[j].length;
        size += headerLength(length, masked);
        if (length >= LARGE) break;
        size += length;
      }
      // Only a flush that is one buffer may use the scratch (corked writes wait for uncork).
      const buffer = i === 0 && j === n && this.scratchOk && size <= SCRATCH_SIZE
        ? (scratch ??= allocBytes(SCRATCH_SIZE)).subarray(0, size)
        : allocBytes(size);
      let at = 0;
      for (let k = i; k <= j && k < n; k++) {
        const payload = payloads[k];
        const length = payload.length;
        const b = bits[k];
        const key = masked ? (this.keys ??= new KeyPool()).take() : 0;
        at += writeHeader(buffer, at, b & 0x0f, length, (b & FIN) !== 0, (b & RSV1) !== 0, masked, key);
        if (k === j) {
          // The large payload follows as its own buffer (masked on a copy for clients).
          out[buffers++] = buffer;
          if (masked) {
            const copy = copyBytes(payload);
            this.codec.mask(copy, key, 0);
            out[buffers++] = copy;
          } else {
            out[buffers++] = payload;
          }
          break;
        }
        buffer.set(payload, at);
        if (masked && length > 0) this.codec.mask(buffer.subarray(at, at + length), key, 0);
        at += length;
      }
      if (j === n) out[buffers++] = buffer;
      i = j + 1;
    }
    return buffers;
  }

  /** Forgets the `n` frames a flush took: their slots cleared (or the arrays dropped after a burst). */
  private release(n: number): void {
    this.payloads = emptied(this.payloads, n);
    if (this.bits.length > KEEP_SLOTS) this.bits = [];
  }

  /** Drops what is queued (the socket is gone); callbacks learn of it. */
  close(): void {
    this.closed = true;
    this.payloads = [];
    this.bits = [];
    this.count = 0;
    this.queuedBytes = 0;
    const callbacks = this.callbacks;
    this.callbacks = [];
    for (const cb of callbacks) callLater(cb, closedError());
  }
}

// Closures are made in these functions, not in frame() and flush(): a function that
// creates one has V8 allocate a context object on each call, even on paths that do not.

/** One write callback that calls every callback of a flush. */
function callAll(callbacks: Callback[]): Callback {
  return (error) => {
    for (const cb of callbacks) cb(error ?? null);
  };
}

/** Calls `cb` with `error` in a microtask (a send that could not be made). */
export function callLater(cb: Callback, error: Error): void {
  queueMicrotask(() => cb(error));
}

function closedError(): Error {
  return new Error('WebSocket is not open: the socket is closed');
}

const EMPTY = new Uint8Array(0);
/**
 * Slots kept from flush to flush; a burst beyond this many frees its arrays after. A
 * connection that sends a few frames per flush keeps 2 × 17 slots × 8 B (V8 gives a first
 * push 17); one that has flushed 64 at once keeps 2 × 77 (about 1.2 KB), against growing
 * them again on every flush: 16 was the limit before, and with 64 messages in flight per
 * connection that regrowth was 35-40 B of garbage per message echoed (heap sampler).
 */
const KEEP_SLOTS = 64;

/** `slots` with its first `n` entries cleared (nothing stays referenced), or a new array after a burst. */
function emptied(slots: Uint8Array[], n: number): Uint8Array[] {
  if (slots.length > KEEP_SLOTS) return [];
  slots.fill(EMPTY, 0, n);
  return slots;
}

function flushWriter(writer: Writer): void {
  writer.flush();
}
