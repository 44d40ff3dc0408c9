// The connection (layer 5 of ARCHITECTURE.md): a WebSocket over any Duplex stream, with
// the `ws` event surface (open, message(data, isBinary), ping, pong, close(code, reason),
// error, upgrade, unexpected-response) and the WHATWG one (addEventListener, on<type>).
//
//   socket read (shared buffer, else 'data') ─► Decoder.feed ─► Inbound ─► emit('message' | 'ping' | 'pong')
//                                            └► close handshake / fail the connection
//   send / ping / pong / close ─► Writer (one slab per tick) ─► socket.write
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { Decoder, type DecoderHandler } from './protocol/decoder.js';
import {
  closePayload, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_CONTINUATION, OPCODE_PING, OPCODE_PONG, OPCODE_TEXT,
} from './protocol/encoder.js';
import type { FrameError } from './codec/errors.js';
import { callLater, receiveEnd, receiveStart, Writer } from './connection/writer.js';
import { readIntoShared } from './connection/reader.js';
import { noteReceived } from './connection/allocator.js';
import { resolveConnectionOptions, type ConnectionOptions, type ResolvedConnectionOptions } from './connection/options.js';
import { BINARY_TYPES, fromPayload, isBinaryData, isBlob, toPayload, type BinaryType, type SendData } from './connection/convert.js';
import {
  addListener, getAttribute, removeListener, setAttribute,
  type EventFactory, type EventListenerLike, type WsEvent,
} from './connection/events.js';
import { initClient, type ClientOptions } from './client.js';
import type { PerMessageDeflate } from './extensions/deflate.js';

/** An error with the stable code and the close code it led to (as `ws`'s errors carry). */
export class WebSocketError extends Error {
  constructor(message: string, readonly code: string, readonly closeCode: number, readonly offset?: number) {
    super(message);
    this.name = 'WebSocketError';
  }
}

type SendCallback = (error?: Error | null) => void;
export interface SendOptions {
  /** Send as binary (default: true for binary data, false for strings). */
  binary?: boolean;
  /** Compress with permessage-deflate when negotiated (default true). */
  compress?: boolean;
  /** False to send a fragment; the message continues with the next send (default true). */
  fin?: boolean;
  /** Accepted for `ws` compatibility; clients always mask and servers never do. */
  mask?: boolean;
}

const EMPTY = Buffer.alloc(0);
const NOOP = (): void => {};
/** The WebSocket on its socket, for the socket listeners below (shared by every connection, as in `ws`). */
const kWebSocket = Symbol('wsframe.websocket');

const FACTORIES: Record<string, EventFactory> = {
  open: (target) => ({ type: 'open', target }),
  message: (target, [data, isBinary]) => ({ type: 'message', target, data: isBinary ? data : String(data) }),
  close: (target, [code, reason]) => ({
    type: 'close', target, code: code as number, reason: String(reason),
    wasClean: (target as WebSocket).wasClean,
  }),
  error: (target, [error]) => ({ type: 'error', target, error, message: (error as Error)?.message ?? '' }),
};

export class WebSocket extends EventEmitter {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  // Instance constants live on the prototype (below the class), not in every instance.
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  /** @internal */ _readyState = 0;
  /** @internal */ _socket: Duplex | null = null;
  /** @internal */ _protocol = '';
  /** @internal */ _extensions = '';
  /** @internal */ _url = '';
  /** @internal */ _isServer = true;
  /** @internal */ _closeCode = 1006;
  /** @internal */ _closeReason: Buffer = EMPTY;
  /** @internal */ _closeFrameSent = false;
  /** @internal */ _closeFrameReceived = false;
  /** @internal */ _options!: ResolvedConnectionOptions;
  private _binaryType: BinaryType = 'nodebuffer';
  // Created with the first bytes received and the first frame sent: an idle connection
  // holds neither a Decoder (and its parser state) nor a Writer.
  private _decoder: Decoder | null = null;
  /** @internal */ _inbound: Inbound | null = null;
  private _writer: Writer | null = null;
  private _closeTimer: ReturnType<typeof setTimeout> | null = null;
  private _fragmenting = false;
  /**
   * Sends waiting behind one that is asynchronous (a Blob being read, a message being
   * compressed), so frames leave in the order they were sent. Null when nothing waits.
   */
  private _sendQueue: Array<() => void> | null = null;
  /** Received events waiting behind a message being inflated, in arrival order. */
  /** @internal */ _receiveQueue: Array<() => void> | null = null;
  /** @internal permessage-deflate, when negotiated (set before _setSocket). */
  _deflate: PerMessageDeflate | null = null;
  /** Events waiting for their own tick when allowSynchronousEvents is false. */
  private _eventQueue: Array<() => void> | null = null;
  /** @internal */ _lastReceived = 0;
  /** @internal */ _pingSent = false;

  constructor(address: string | URL | null, protocols?: string | string[] | ClientOptions, options?: ClientOptions) {
    super();
    if (address !== null) {
      this._isServer = false;
      initClient(this, address, protocols, options);
    }
  }

  get readyState(): number { return this._readyState; }
  get protocol(): string { return this._protocol; }
  get extensions(): string { return this._extensions; }
  get url(): string { return this._url; }
  get isPaused(): boolean { return this._socket?.isPaused() ?? false; }
  /** True once both close frames were exchanged (CloseEvent.wasClean). */
  get wasClean(): boolean { return this._closeFrameSent && this._closeFrameReceived; }

  get binaryType(): BinaryType { return this._binaryType; }
  set binaryType(type: BinaryType) {
    if (BINARY_TYPES.includes(type)) this._binaryType = type;
  }

  /** Bytes queued but not yet sent: ours plus the socket's. */
  get bufferedAmount(): number {
    const socket = this._socket;
    return (this._writer?.pending ?? 0) + (socket ? socket.writableLength : 0);
  }

  /**
   * Attaches an upgraded socket (server side after the 101, client side after verifying it).
   * @internal
   */
  _setSocket(socket: Duplex, head: Buffer, options: ConnectionOptions | ResolvedConnectionOptions): void {
    const o = 'codec' in options ? options as ResolvedConnectionOptions : resolveConnectionOptions(options);
    this._options = o;
    this._socket = socket;
    (socket as SocketOf)[kWebSocket] = this;
    const s = socket as Duplex & { setNoDelay?(on: boolean): void; setTimeout?(ms: number): void };
    s.setTimeout?.(0);
    s.setNoDelay?.(true);
    if (o.sharedReadBuffer && readIntoShared(socket, socketOnRead)) {
      // No 'data' events now: the head goes to the decoder once the caller has attached
      // its listeners (as an unshifted chunk would), and reading starts as adding a 'data'
      // listener would start it (unless the socket was paused).
      if (head.length > 0) process.nextTick(receiveHead, this, head);
      if (socket.readableFlowing !== false) socket.resume();
    } else {
      if (head.length > 0) socket.unshift(head);
      socket.on('data', socketOnData);
    }
    socket.on('end', socketOnEnd);
    socket.on('close', socketOnClose);
    socket.on('error', socketOnError);
    socket.on('drain', socketOnDrain);
    this._lastReceived = Date.now();
    this._readyState = WebSocket.OPEN;
  }

  /** Sends a message (RFC 6455 section 6.1). */
  send(data: SendData | Blob, options?: SendOptions | SendCallback, cb?: SendCallback): void {
    if (typeof options === 'function') {
      cb = options;
      options = undefined;
    }
    if (this._readyState === WebSocket.CONNECTING) {
      throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    }
    const o = options;
    if (this._readyState !== WebSocket.OPEN) {
      this.afterClose(cb);
      return;
    }
    if (isBlob(data)) {
      this.sendBlob(data, o, cb);
      return;
    }
    // Two calls rather than one returning both: no object per message.
    const bytes = toPayload(data);
    const binary = isBinaryData(data);
    if (this._sendQueue !== null || this.compresses(bytes, o)) {
      this.sendLater(bytes, binary, o, cb);
      return;
    }
    this.deliver(bytes, binary, o, cb, NOOP);
  }

  // The closures of send() and deliver() live in methods of their own: a function that
  // creates a closure over its variables has V8 allocate a context object on every call,
  // even when the branch with the closure is not taken. Moving them (here, in Inbound and
  // in the Writer) cut a 16 × 1 KiB echo from 232 to 157 B of heap allocated per message
  // (V8's sampling heap profiler; bench/e2e/profile.mjs measures it).

  /** A Blob is read first; sends after it wait in the queue. */
  private sendBlob(data: Blob, o: SendOptions | undefined, cb: SendCallback | undefined): void {
    this.enqueueSend((next) => data.arrayBuffer().then(
      (buffer) => this.deliver(Buffer.from(buffer), true, o, cb, next),
      (error: Error) => { cb?.(error); next(); },
    ));
  }

  /** A message behind queued sends, or one to compress (zlib answers later). */
  private sendLater(bytes: Uint8Array, binary: boolean, o: SendOptions | undefined, cb: SendCallback | undefined): void {
    this.enqueueSend((next) => this.deliver(bytes, binary, o, cb, next));
  }

  /** Whether this message goes through permessage-deflate (RFC 7692 section 6). */
  private compresses(bytes: Uint8Array, options?: SendOptions): boolean {
    const deflate = this._deflate;
    return deflate !== null && options?.compress !== false && (options?.fin ?? true) && !this._fragmenting &&
      bytes.length >= deflate.threshold;
  }

  /** Frames one message and hands it to the writer; `done` runs once it has (maybe later). */
  private deliver(bytes: Uint8Array, isBinaryData: boolean, options: SendOptions | undefined, cb: SendCallback | undefined, done: () => void): void {
    // Queued before close() was called: still goes out, ahead of the close frame.
    if (this._closeFrameSent || this._readyState === WebSocket.CLOSED) {
      this.afterClose(cb);
      return done();
    }
    if (!this.withinBackpressure(bytes.length, cb)) return done();
    const binary = options?.binary ?? isBinaryData;
    const fin = options?.fin ?? true;
    const opcode = this._fragmenting ? OPCODE_CONTINUATION : binary ? OPCODE_BINARY : OPCODE_TEXT;
    if (this.compresses(bytes, options)) {
      this.deliverCompressed(bytes, opcode, cb, done);
      return;
    }
    this._fragmenting = !fin;
    this.getWriter().frame(opcode, bytes, fin, false, cb);
    done();
  }

  private deliverCompressed(bytes: Uint8Array, opcode: number, cb: SendCallback | undefined, done: () => void): void {
    // The caller may reuse its buffer once send() returns: zlib reads a copy.
    this._deflate!.compress(Buffer.from(bytes), (error, out) => {
      if (error) cb?.(error);
      else if (!this._closeFrameSent && this._readyState !== WebSocket.CLOSED) this.getWriter().frame(opcode, out!, true, true, cb);
      else this.afterClose(cb);
      done();
    });
  }

  /**
   * Queues a send behind asynchronous ones (a Blob being read, a message being compressed)
   * so frames keep their order. A job calls `next` when its frame is with the writer.
   */
  private enqueueSend(job: (next: () => void) => void): void {
    const queue = (this._sendQueue ??= []);
    const next = (): void => {
      queue.shift();
      if (queue.length > 0) queue[0]();
      else if (this._sendQueue === queue) this._sendQueue = null;
    };
    queue.push(() => job(next));
    if (queue.length === 1) queue[0]();
  }

  /** Sends a ping (RFC 6455 section 5.5.2); at most 125 bytes. */
  ping(data?: SendData, _mask?: boolean, cb?: SendCallback): void {
    this.control(OPCODE_PING, data, cb);
  }

  /** Sends a pong (RFC 6455 section 5.5.3); at most 125 bytes. */
  pong(data?: SendData, _mask?: boolean, cb?: SendCallback): void {
    this.control(OPCODE_PONG, data, cb);
  }

  private control(opcode: number, data: SendData | undefined, cb?: SendCallback): void {
    if (this._readyState === WebSocket.CONNECTING) {
      throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    }
    const bytes = data === undefined ? EMPTY : toPayload(data);
    if (bytes.length > 125) throw new RangeError('The data size must not be greater than 125 bytes');
    if (this._readyState !== WebSocket.OPEN) {
      this.afterClose(cb);
      return;
    }
    if (this._sendQueue !== null) {
      this.enqueueSend((next) => {
        if (this._closeFrameSent) this.afterClose(cb);
        else if (this.withinBackpressure(bytes.length, cb)) this.getWriter().frame(opcode, bytes, true, false, cb);
        next();
      });
      return;
    }
    // Pings and pongs wait behind messages: a peer that pings but never reads must not grow
    // the queue past maxBackpressure with automatic pongs.
    if (!this.withinBackpressure(bytes.length, cb)) return;
    this.getWriter().frame(opcode, bytes, true, false, cb);
  }

  /** Starts the closing handshake (RFC 6455 section 7.1.2). */
  close(code?: number, reason?: string | Buffer): void {
    if (this._readyState === WebSocket.CLOSED) return;
    if (this._readyState === WebSocket.CONNECTING) {
      this.abortHandshake('WebSocket was closed before the connection was established');
      return;
    }
    if (this._closeFrameSent) {
      if (this._closeFrameReceived) this._socket?.end();
      return;
    }
    const payload = closePayload(code, reason);
    if (this._sendQueue !== null) {
      // Messages sent before close() leave first (they are waiting on a Blob or zlib).
      if (this._readyState === WebSocket.CLOSING) return;
      this._readyState = WebSocket.CLOSING;
      this.enqueueSend((next) => {
        if (!this._closeFrameSent && this._socket !== null && !this._socket.destroyed) this.sendClose(payload);
        next();
      });
      return;
    }
    this.sendClose(payload);
  }

  /** Closes the socket now, without a closing handshake. */
  terminate(): void {
    if (this._readyState === WebSocket.CLOSED) return;
    if (this._readyState === WebSocket.CONNECTING) {
      this.abortHandshake('WebSocket was closed before the connection was established');
      return;
    }
    this._readyState = WebSocket.CLOSING;
    this._socket?.destroy();
  }

  pause(): void {
    if (this._readyState !== WebSocket.CONNECTING && this._readyState !== WebSocket.CLOSED) this._socket?.pause();
  }

  resume(): void {
    if (this._readyState !== WebSocket.CONNECTING && this._readyState !== WebSocket.CLOSED) this._socket?.resume();
  }

  // ── WHATWG EventTarget surface ──
  addEventListener(type: string, listener: EventListenerLike, options?: { once?: boolean }): void {
    const factory = FACTORIES[type];
    if (factory && listener) addListener(this, type, listener, factory, options);
  }
  removeEventListener(type: string, listener: EventListenerLike): void {
    removeListener(this, type, listener);
  }
  get onopen(): EventListenerLike | null { return getAttribute(this, 'open'); }
  set onopen(handler: EventListenerLike | null) { setAttribute(this, 'open', handler, FACTORIES.open); }
  get onmessage(): EventListenerLike | null { return getAttribute(this, 'message'); }
  set onmessage(handler: EventListenerLike | null) { setAttribute(this, 'message', handler, FACTORIES.message); }
  get onclose(): EventListenerLike | null { return getAttribute(this, 'close'); }
  set onclose(handler: EventListenerLike | null) { setAttribute(this, 'close', handler, FACTORIES.close); }
  get onerror(): EventListenerLike | null { return getAttribute(this, 'error'); }
  set onerror(handler: EventListenerLike | null) { setAttribute(this, 'error', handler, FACTORIES.error); }
  /** @internal */
  dispatchEvent(event: WsEvent): boolean {
    return this.emit(event.type, event);
  }

  // ── internals ──

  /** @internal */
  sendClose(payload: Uint8Array): void {
    this._readyState = WebSocket.CLOSING;
    this._closeFrameSent = true;
    this.getWriter().frame(OPCODE_CLOSE, payload, true, false, (error) => {
      if (error) return;
      if (this._closeFrameReceived) this._socket?.end();
    });
    this.armCloseTimer();
  }

  /** @internal */
  armCloseTimer(): void {
    if (this._closeTimer !== null || this._socket === null) return;
    const socket = this._socket;
    this._closeTimer = setTimeout(() => socket.destroy(), this._options.closeTimeout);
    this._closeTimer.unref?.();
  }

  /** @internal Emits an error event only when someone listens: bad input never crashes. */
  emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** @internal Fails the connection (RFC 6455 section 7.1.7) with a close code. */
  fail(error: WebSocketError): void {
    if (this._readyState === WebSocket.CLOSED) return;
    this._closeCode = error.closeCode;
    // After the events of frames received before the bad one (allowSynchronousEvents: false).
    this.dispatch(() => this.emitError(error));
    if (!this._closeFrameSent && this._socket !== null && !this._socket.destroyed) {
      this.sendClose(closePayload(error.closeCode));
    }
    // No more bytes will be read: end our side once the close frame is out.
    this._writer?.flush();
    this._socket?.end();
    this.armCloseTimer();
  }

  /** @internal Client side: the handshake did not complete. Overridden by client.ts. */
  abortHandshake(message: string): void {
    this._readyState = WebSocket.CLOSING;
    this.emitError(new WebSocketError(message, 'WS_ERR_HANDSHAKE_ABORTED', 1006));
    this._socket?.destroy();
    this.emitClose();
  }

  private afterClose(cb?: SendCallback): void {
    if (cb) {
      callLater(cb, new Error(`WebSocket is not open: readyState ${this._readyState} (${['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'][this._readyState]})`));
    }
  }

  private withinBackpressure(length: number, cb?: SendCallback): boolean {
    const limit = this._options.maxBackpressure;
    if (limit === 0 || this.bufferedAmount + length <= limit) return true;
    const error = new WebSocketError(
      `send refused: ${this.bufferedAmount + length} bytes would wait to be sent, over maxBackpressure (${limit})`,
      'WS_ERR_BACKPRESSURE_LIMIT', 1008,
    );
    if (cb) callLater(cb, error);
    if (this._options.closeOnBackpressureLimit) this.fail(error);
    return false;
  }

  /** @internal Runs an event now, or in its own tick when allowSynchronousEvents is false. */
  dispatch(run: () => void): void {
    if (this._options.allowSynchronousEvents) {
      run();
      return;
    }
    const queue = this._eventQueue;
    if (queue !== null) queue.push(run);
    else this.startEvents(run);
  }

  /** The first event waiting for its own tick: later ones queue behind it. */
  private startEvents(run: () => void): void {
    this._eventQueue = [run];
    const drain = (): void => {
      const q = this._eventQueue!;
      q.shift()!();
      if (q.length > 0) setImmediate(drain);
      else this._eventQueue = null;
    };
    setImmediate(drain);
  }

  /** @internal */
  emitMessage(data: Buffer, isBinary: boolean): void {
    this.emit('message', isBinary ? fromPayload(data, this._binaryType) : data, isBinary);
  }

  /** @internal The socket is gone: the connection is CLOSED. */
  emitClose(): void {
    if (this._readyState === WebSocket.CLOSED) return;
    this._readyState = WebSocket.CLOSED;
    if (this._closeTimer !== null) clearTimeout(this._closeTimer);
    this._closeTimer = null;
    this._writer?.close();
    this._deflate?.close();
    this._receiveQueue = null;
    // Events still waiting for their own tick (allowSynchronousEvents: false) arrived
    // before the socket closed: 'close' comes after them, as in ws.
    const queue = this._eventQueue;
    if (queue !== null) queue.push(() => this.emit('close', this._closeCode, this._closeReason));
    else this.emit('close', this._closeCode, this._closeReason);
  }

  /**
   * @internal Received bytes; the first ones create the Decoder. `transient`: the chunk's
   * memory is reused once this returns (the shared read buffer).
   */
  receive(chunk: Buffer, transient = false): void {
    this._lastReceived = Date.now();
    this._pingSent = false;
    let decoder = this._decoder;
    if (decoder === null) {
      const o = this._options;
      const inbound = (this._inbound = new Inbound(this));
      decoder = this._decoder = new Decoder({
        role: this._isServer ? 'server' : 'client', maxPayload: o.maxPayload, maxFragments: o.maxFragments,
        skipUtf8Validation: o.skipUTF8Validation, borrowPayload: o.borrowPayload && this._deflate === null,
        codec: o.codec, allowRsv1: this._deflate !== null,
      }, inbound);
    }
    noteReceived(chunk.length);
    receiveStart();
    try {
      decoder.feed(chunk, transient);
    } finally {
      receiveEnd();
    }
  }

  /** @internal The Writer, created with the first frame sent. */
  getWriter(): Writer {
    let writer = this._writer;
    if (writer === null) {
      writer = this._writer = new Writer(this._socket!, !this._isServer, this._options.codec);
      if (this._readyState === WebSocket.CLOSED) writer.close();
    }
    return writer;
  }
}

for (const [name, value] of [['CONNECTING', 0], ['OPEN', 1], ['CLOSING', 2], ['CLOSED', 3]] as const) {
  Object.defineProperty(WebSocket.prototype, name, { enumerable: true, value });
}

type SocketOf = Duplex & { [kWebSocket]?: WebSocket };

// Socket listeners: one function each for every connection (`this` is the socket), so a
// connection costs no closures.
function socketOnData(this: SocketOf, chunk: Buffer): void {
  this[kWebSocket]!.receive(chunk);
}

/** A read into the shared buffer (connection/reader.ts): reused after this call. */
function socketOnRead(this: SocketOf, length: number, buffer: Buffer): void {
  this[kWebSocket]!.receive(buffer.subarray(0, length), true);
}

/** The bytes that came with the upgrade, unless the socket is already gone. */
function receiveHead(ws: WebSocket, head: Buffer): void {
  if (ws._socket !== null && !ws._socket.destroyed) ws.receive(head);
}

function socketOnEnd(this: SocketOf): void {
  const ws = this[kWebSocket]!;
  if (ws._readyState === WebSocket.OPEN) ws._readyState = WebSocket.CLOSING;
  ws._socket?.end();
}

function socketOnClose(this: SocketOf): void {
  const ws = this[kWebSocket]!;
  // Messages still inflating were received before the socket closed: deliver them first.
  if (ws._receiveQueue !== null) ws._inbound!.enqueue((done) => { ws.emitClose(); done(); });
  else ws.emitClose();
}

function socketOnError(this: SocketOf): void {
  const ws = this[kWebSocket]!;
  if (ws._readyState !== WebSocket.CLOSED) ws._readyState = WebSocket.CLOSING;
  ws._socket?.destroy();
}

function socketOnDrain(this: SocketOf): void {
  this[kWebSocket]!.emit('drain');
}

/** Decoder events → connection behaviour (created with the connection's first bytes). */
class Inbound implements DecoderHandler {
  constructor(private readonly ws: WebSocket) {}

  /** True while reading is paused because maxBufferedChunks events wait behind an inflation. */
  private paused = false;

  onMessage(data: Uint8Array, isBinary: boolean, compressed: boolean): void {
    const ws = this.ws;
    if (compressed || ws._receiveQueue !== null) this.queueMessage(data, isBinary, compressed);
    else if (ws._options.allowSynchronousEvents) ws.emitMessage(data as Buffer, isBinary);
    else this.dispatchMessage(this.own(data), isBinary);
  }

  // Closures in methods of their own, as in WebSocket.send (no context per message).

  /** Behind a message being inflated, in order (a compressed one is inflated in turn). */
  private queueMessage(data: Uint8Array, isBinary: boolean, compressed: boolean): void {
    const ws = this.ws;
    if (compressed) {
      this.enqueue((done) => this.inflate(data, isBinary, done));
      return;
    }
    const copy = ws._options.borrowPayload ? Buffer.from(data) : data;
    this.enqueue((done) => { ws.emitMessage(copy as Buffer, isBinary); done(); });
  }

  private dispatchMessage(data: Buffer, isBinary: boolean): void {
    const ws = this.ws;
    ws.dispatch(() => ws.emitMessage(data, isBinary));
  }

  /**
   * The payload for an event dispatched later (allowSynchronousEvents: false): a borrowed
   * one (borrowPayload) views codec memory that the next parse, on any connection,
   * overwrites, so the event gets a copy.
   */
  private own(data: Uint8Array): Buffer {
    const o = this.ws._options;
    return (o.borrowPayload && !o.allowSynchronousEvents ? Buffer.from(data) : data) as Buffer;
  }

  /** RFC 7692 section 6.2: inflate, then check size and UTF-8 on what came out. */
  private inflate(data: Uint8Array, isBinary: boolean, done: () => void): void {
    const ws = this.ws;
    ws._deflate!.decompress(data, (error, out) => {
      if (ws._readyState === WebSocket.CLOSED) return done();
      if (error) {
        const e = error as Error & { code?: string; closeCode?: number };
        ws.fail(new WebSocketError(e.message, e.code ?? 'WS_ERR_INFLATE', e.closeCode ?? 1007));
        ws._receiveQueue = null;
        return;
      }
      if (!isBinary && !ws._options.skipUTF8Validation && ws._options.codec.validateUtf8(out!) !== 0) {
        ws.fail(new WebSocketError('text message is not valid UTF-8 after inflation (RFC 6455 section 8.1)', 'WS_ERR_INVALID_UTF8', 1007));
        ws._receiveQueue = null;
        return;
      }
      ws.dispatch(() => ws.emitMessage(out!, isBinary));
      done();
    });
  }

  /** @internal Runs received events in order behind an inflating message. */
  enqueue(job: (done: () => void) => void): void {
    const ws = this.ws;
    const queue = (ws._receiveQueue ??= []);
    const done = (): void => {
      if (ws._receiveQueue !== queue) return;
      queue.shift();
      if (queue.length > 0) return queue[0]();
      ws._receiveQueue = null;
      if (this.paused) {
        this.paused = false;
        ws._socket?.resume();
      }
    };
    queue.push(() => job(done));
    if (queue.length === 1) queue[0]();
    else if (queue.length > ws._options.maxBufferedChunks && !this.paused) {
      this.paused = true;
      ws._socket?.pause();
    }
  }

  onPing(data: Uint8Array): void {
    const ws = this.ws;
    if (ws._receiveQueue !== null) {
      const copy = Buffer.from(data);
      this.enqueue((done) => { this.ping(copy); done(); });
      return;
    }
    this.ping(data);
  }

  private ping(data: Uint8Array): void {
    const ws = this.ws;
    if (ws._options.autoPong && ws._readyState === WebSocket.OPEN) ws.pong(data as Buffer);
    const own = this.own(data);
    ws.dispatch(() => ws.emit('ping', own));
  }

  onPong(data: Uint8Array): void {
    const ws = this.ws;
    if (ws._receiveQueue !== null) {
      const copy = Buffer.from(data);
      this.enqueue((done) => { ws.dispatch(() => ws.emit('pong', copy)); done(); });
      return;
    }
    const own = this.own(data);
    ws.dispatch(() => ws.emit('pong', own));
  }

  onClose(code: number, reason: Uint8Array): void {
    if (this.ws._receiveQueue !== null) {
      const copy = Buffer.from(reason);
      this.enqueue((done) => { this.close(code, copy); done(); });
      return;
    }
    this.close(code, reason);
  }

  private close(code: number, reason: Uint8Array): void {
    const ws = this.ws;
    ws._closeFrameReceived = true;
    ws._closeCode = code;
    ws._closeReason = Buffer.from(reason); // a copy: `reason` may be borrowed memory
    if (ws._closeFrameSent) {
      // Both close frames exchanged: the server closes TCP first (RFC 6455 section 7.1.1).
      ws._socket?.end();
      return;
    }
    // Echo the code and reason (RFC 6455 section 5.5.1, as `ws`); 1005 means there was none.
    // Our close frame's write callback ends the socket, now that both are exchanged.
    ws.sendClose(code === 1005 ? new Uint8Array(0) : closePayload(code, reason));
  }

  onError(error: FrameError): void {
    const ws = this.ws;
    if (ws._receiveQueue !== null) {
      this.enqueue(() => ws.fail(new WebSocketError(error.message, error.code, error.closeCode, error.offset)));
      return;
    }
    ws.fail(new WebSocketError(error.message, error.code, error.closeCode, error.offset));
  }
}

/** What a 'message' listener receives for binary data, by binaryType. */
export type RawData = Buffer | ArrayBuffer | Buffer[] | Blob;

type Listener<A extends unknown[]> = (this: WebSocket, ...args: A) => void;
// Typed listeners, as @types/ws declares them.
export interface WebSocket {
  on(event: 'message', listener: Listener<[data: RawData, isBinary: boolean]>): this;
  on(event: 'close', listener: Listener<[code: number, reason: Buffer]>): this;
  on(event: 'error', listener: Listener<[error: Error]>): this;
  on(event: 'ping' | 'pong', listener: Listener<[data: Buffer]>): this;
  on(event: 'open' | 'drain', listener: Listener<[]>): this;
  on(event: 'upgrade', listener: Listener<[response: import('node:http').IncomingMessage]>): this;
  on(event: 'unexpected-response', listener: Listener<[request: import('node:http').ClientRequest, response: import('node:http').IncomingMessage]>): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'message', listener: Listener<[data: RawData, isBinary: boolean]>): this;
  once(event: 'close', listener: Listener<[code: number, reason: Buffer]>): this;
  once(event: 'error', listener: Listener<[error: Error]>): this;
  once(event: 'ping' | 'pong', listener: Listener<[data: Buffer]>): this;
  once(event: 'open' | 'drain', listener: Listener<[]>): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}
