// permessage-deflate at run time (RFC 7692 sections 6 and 7.2): one lazily created zlib
// stream per direction per connection (idle connections cost nothing), SYNC_FLUSH per
// message with the 00 00 FF FF tail removed on send and put back on receive, context reset
// after each message where no_context_takeover was agreed, inflation stopped as soon as
// the output passes maxPayload, and a process-wide limit on zlib jobs in flight.
import * as zlib from 'node:zlib';
import type { DeflateParams, PerMessageDeflateOptions } from './negotiate.js';

/** RFC 7692 section 7.2.1: the tail a SYNC_FLUSH ends with, not sent on the wire. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Runs at most `limit` jobs at once, the rest in arrival order. */
class Limiter {
  private running = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  run(job: (done: () => void) => void): void {
    const start = (): void => {
      this.running++;
      let released = false;
      job(() => {
        if (released) return;
        released = true;
        this.running--;
        const next = this.queue.shift();
        if (next) next();
      });
    };
    if (this.running < this.limit) start();
    else this.queue.push(start);
  }
}

const limiters = new Map<number, Limiter>();
function limiterFor(limit: number): Limiter {
  let l = limiters.get(limit);
  if (l === undefined) limiters.set(limit, (l = new Limiter(limit)));
  return l;
}

/** Thrown into inflate callbacks when the output passes maxPayload (close 1009). */
export class InflateLimitError extends RangeError {
  readonly code = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
  readonly closeCode = 1009;
  constructor(limit: number) {
    super(`inflated message larger than maxPayload (${limit} bytes) (RFC 6455 section 10.4)`);
  }
}

type Done = (error: Error | null, data?: Buffer) => void;

/** A zlib stream that can never crash the process with an unhandled 'error'. */
function quiet<T extends zlib.Zlib & NodeJS.EventEmitter>(stream: T): T {
  stream.on('error', () => {});
  return stream;
}

export class PerMessageDeflate {
  readonly threshold: number;
  private deflate: zlib.DeflateRaw | null = null;
  private inflate: zlib.InflateRaw | null = null;
  private readonly limiter: Limiter;
  private closed = false;
  /** Frees the limiter slot of the job in flight (close() calls it if zlib never answers). */
  private active: (() => void) | null = null;

  constructor(
    readonly params: DeflateParams,
    private readonly isServer: boolean,
    private readonly options: PerMessageDeflateOptions,
    private readonly maxPayload: number,
  ) {
    this.threshold = options.threshold ?? 1024;
    this.limiter = limiterFor(options.concurrencyLimit ?? 10);
  }

  /** Compresses one whole message; `done` gets the bytes for the wire (tail removed). */
  compress(data: Uint8Array, done: Done): void {
    this.limiter.run((release) => {
      this.active = release;
      if (this.closed) {
        release();
        return done(new Error('the connection closed while compressing'));
      }
      const bits = this.isServer ? this.params.serverMaxWindowBits : this.params.clientMaxWindowBits;
      // zlib has no raw deflate with an 8-bit window; 9 is what it uses instead.
      const deflate = (this.deflate ??= quiet(zlib.createDeflateRaw({ ...this.options.zlibDeflateOptions, windowBits: Math.max(9, bits) })));
      const chunks: Buffer[] = [];
      let length = 0;
      const onData = (chunk: Buffer): void => { chunks.push(chunk); length += chunk.length; };
      deflate.on('data', onData);
      deflate.write(data);
      deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        deflate.removeListener('data', onData);
        this.active = null;
        release();
        if (this.closed) return done(new Error('the connection closed while compressing'));
        let out = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
        if (out.length >= 4 && out[out.length - 4] === 0 && out[out.length - 3] === 0 && out[out.length - 2] === 0xff && out[out.length - 1] === 0xff) {
          out = out.subarray(0, out.length - 4);
        }
        const noTakeover = this.isServer ? this.params.serverNoContextTakeover : this.params.clientNoContextTakeover;
        if (noTakeover) deflate.reset();
        done(null, out);
      });
    });
  }

  /** Inflates one whole message; fails with InflateLimitError past maxPayload. */
  decompress(data: Uint8Array, done: Done): void {
    this.limiter.run((release) => {
      this.active = release;
      if (this.closed) {
        release();
        return done(new Error('the connection closed while inflating'));
      }
      const bits = this.isServer ? this.params.clientMaxWindowBits : this.params.serverMaxWindowBits;
      const inflate = (this.inflate ??= quiet(zlib.createInflateRaw({ ...this.options.zlibInflateOptions, windowBits: Math.max(9, bits) })));
      const chunks: Buffer[] = [];
      let length = 0;
      let failed: Error | null = null;
      const limit = this.maxPayload;
      // finish() exactly once: on flush, on a zlib error, or as soon as maxPayload is passed.
      let finished = false;
      const once = (error: Error | null): void => {
        if (!finished) {
          finished = true;
          finish(error);
        }
      };
      const onData = (chunk: Buffer): void => {
        if (failed) return;
        length += chunk.length;
        if (limit > 0 && length > limit) {
          failed = new InflateLimitError(limit);
          chunks.length = 0;
          // Stop now: letting zlib run on would inflate the whole bomb (CPU, limiter slot).
          once(null);
          return;
        }
        chunks.push(chunk);
      };
      const finish = (error: Error | null): void => {
        inflate.removeListener('data', onData);
        inflate.removeListener('error', onError);
        this.active = null;
        release();
        if (error !== null || failed !== null) {
          // The stream's state is unusable after an error or an abandoned message.
          this.inflate?.close();
          this.inflate = null;
          return done(error ?? failed);
        }
        const noTakeover = this.isServer ? this.params.clientNoContextTakeover : this.params.serverNoContextTakeover;
        if (noTakeover) inflate.reset();
        done(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length));
      };
      inflate.on('data', onData);
      inflate.write(data);
      inflate.write(TAIL);
      const onError = (error: Error): void => once(Object.assign(error, { code: 'WS_ERR_INFLATE', closeCode: 1007 }));
      inflate.on('error', onError);
      inflate.flush(() => once(null));
    });
  }

  /** Releases the zlib streams (the connection closed). */
  close(): void {
    this.closed = true;
    const active = this.active;
    this.active = null;
    active?.();
    this.deflate?.close();
    this.inflate?.close();
    this.deflate = null;
    this.inflate = null;
  }
}
