// Outgoing frames, batched per tick: every frame sent in one tick is encoded straight into
// one slab (header and payload side by side), and the slab goes to the socket in a single
// write when the tick ends. Large payloads skip the slab and follow it as their own buffers
// under one cork. ws does one socket.write per frame; that per-write cost is what we save.
//
//   send ─► slab [hdr|payload|hdr|payload|…]  ──(process.nextTick)──► socket.write(slab)
//   send(big) ─► slab … | header | payload (as is) ─► cork, write, write, uncork
import type { Duplex } from 'node:stream';
import type { Codec } from '../codec/types.js';
import { KeyPool, headerLength, writeHeader } from '../protocol/encoder.js';
import { allocBytes } from '../protocol/bytes.js';

/** Payloads at least this long travel as their own buffer (no copy when unmasked). */
const LARGE = 16 * 1024;
/** A slab's size; a slab is cut when the tick ends or it fills. */
const SLAB = 64 * 1024;

type Callback = (error?: Error | null) => void;

export class Writer {
  private slab: Uint8Array | null = null;
  private used = 0;
  /** Buffers cut this tick, in order, waiting for the flush. */
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private callbacks: Callback[] = [];
  private scheduled = false;
  /** Masking keys, for clients only (created on first use: idle servers carry none). */
  private keys: KeyPool | null = null;
  private closed = false;

  constructor(
    private readonly socket: Duplex,
    private readonly masked: boolean,
    private readonly codec: Codec,
  ) {}

  /** Bytes accepted but not yet handed to the socket. */
  get pending(): number {
    return this.queuedBytes + this.used;
  }

  /** Queues one frame; `cb` runs once it has been written (or failed). */
  frame(opcode: number, payload: Uint8Array, fin: boolean, rsv1: boolean, cb?: Callback): void {
    if (this.closed) {
      if (cb) queueMicrotask(() => cb(new Error('WebSocket is not open: the socket is closed')));
      return;
    }
    const length = payload.length;
    const key = this.masked ? (this.keys ??= new KeyPool()).take() : 0;
    const size = headerLength(length, this.masked);
    if (length >= LARGE) {
      this.cut();
      const header = allocBytes(size);
      writeHeader(header, 0, opcode, length, fin, rsv1, this.masked, key);
      this.push(header);
      if (this.masked || this.codec.owns(payload)) {
        // Masking must not touch the caller's bytes; a borrowed payload (a view into the
        // codec's memory) is overwritten by the next parse, before this write happens.
        const copy = allocBytes(length);
        copy.set(payload);
        if (this.masked) this.codec.mask(copy, key, 0);
        this.push(copy);
      } else {
        this.push(payload);
      }
    } else {
      if (this.slab === null || this.slab.length - this.used < size + length) {
        this.cut();
        this.slab = allocBytes(Math.max(SLAB, size + length));
      }
      const slab = this.slab;
      const at = this.used;
      writeHeader(slab, at, opcode, length, fin, rsv1, this.masked, key);
      slab.set(payload, at + size);
      if (this.masked && length > 0) this.codec.mask(slab.subarray(at + size, at + size + length), key, 0);
      this.used = at + size + length;
    }
    if (cb) this.callbacks.push(cb);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(flushWriter, this);
    }
  }

  /** Writes everything queued, now (the tick-end flush, or before closing the socket). */
  flush(): void {
    this.scheduled = false;
    this.cut();
    const queue = this.queue;
    if (queue.length === 0) return;
    const callbacks = this.callbacks;
    this.queue = [];
    this.queuedBytes = 0;
    this.callbacks = [];
    const done = callbacks.length === 0 ? undefined : (error?: Error | null) => {
      for (const cb of callbacks) cb(error ?? null);
    };
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) {
      if (done) queueMicrotask(() => done(new Error('WebSocket is not open: the socket is closed')));
      return;
    }
    if (queue.length === 1) {
      socket.write(queue[0], done);
      return;
    }
    socket.cork();
    for (let i = 0; i < queue.length - 1; i++) socket.write(queue[i]);
    socket.write(queue[queue.length - 1], done);
    socket.uncork();
  }

  /** Drops what is queued (the socket is gone); callbacks learn of it. */
  close(): void {
    this.closed = true;
    this.slab = null;
    this.used = 0;
    this.queue = [];
    this.queuedBytes = 0;
    const callbacks = this.callbacks;
    this.callbacks = [];
    for (const cb of callbacks) queueMicrotask(() => cb(new Error('WebSocket is not open: the socket is closed')));
  }

  /** Moves the filled part of the slab to the queue; the rest of the slab stays for reuse. */
  private cut(): void {
    const slab = this.slab;
    if (slab === null || this.used === 0) return;
    this.push(slab.subarray(0, this.used));
    if (slab.length - this.used >= 1024) {
      this.slab = slab.subarray(this.used);
    } else {
      this.slab = null;
    }
    this.used = 0;
  }

  private push(buffer: Uint8Array): void {
    this.queue.push(buffer);
    this.queuedBytes += buffer.length;
  }
}

function flushWriter(writer: Writer): void {
  writer.flush();
}
