// Connection options: merged with defaults once and validated once, with errors that
// name the allowed values (STYLE.md 11). Shared by the server and the client.
import type { Codec } from '../codec/types.js';
import { createCodec } from '../codec/index.js';
import { DEFAULT_ALLOCATOR_RETAIN, requestRetention } from './allocator.js';
import { DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD } from '../protocol/decoder.js';

export interface ConnectionOptions {
  /** Largest message accepted, in bytes (0: no limit below 4 GiB). Default 100 MiB, as `ws`. */
  maxPayload?: number;
  /** Largest number of frames in one message. Default 131072 (Autobahn sends 65536). */
  maxFragments?: number;
  /**
   * Most received events (messages, pings, pongs) held back behind a message being
   * inflated before the socket stops being read (backpressure). Default 1024.
   */
  maxBufferedChunks?: number;
  /** Skip UTF-8 validation of received text. Default false. */
  skipUTF8Validation?: boolean;
  /** Answer pings with pongs automatically. Default true. */
  autoPong?: boolean;
  /** Emit several message/ping/pong events in one tick. Default true (as `ws` 8.17+). */
  allowSynchronousEvents?: boolean;
  /** Milliseconds to wait for the peer's close frame or TCP close after ours. Default 30000. */
  closeTimeout?: number;
  /**
   * Most bytes that may wait to be sent (`bufferedAmount`) before a send is refused.
   * Default 64 MiB; 0 for no limit (as `ws`).
   */
  maxBackpressure?: number;
  /** Past maxBackpressure, close the connection (1008) instead of refusing the send. Default true. */
  closeOnBackpressureLimit?: boolean;
  /** Which core decodes frames: 'auto' (default), 'wasm' or 'js'. */
  core?: 'auto' | 'wasm' | 'js';
  /**
   * Emit received binary payloads as views into the codec's memory, valid only during the
   * 'message' listener (as uWebSockets.js). Default false: every message is its own Buffer.
   */
  borrowPayload?: boolean;
  /**
   * Read a TCP socket into one buffer shared by every connection of the process (up to
   * 1 MiB per read call, no Buffer allocated per read; the decoder copies what it keeps)
   * instead of through the socket's 'data' events. Default true. Set false where other
   * code reads the raw socket's 'data' events; a socket that already has a 'data'
   * listener, a TLS socket, or a runtime without Node's socket internals keeps its events.
   */
  sharedReadBuffer?: boolean;
  /**
   * Bytes of freed memory the C allocator may keep for reuse instead of returning them to
   * the kernel after each garbage collection (glibc; once per process, the largest value
   * any server or client asked for, applied once the process has received that many
   * bytes; at most 64 MiB). Default 64 MiB; 0 leaves the allocator alone. Done by raising
   * glibc's dynamic thresholds, as freeing any large Buffer does: src/connection/allocator.ts.
   */
  allocatorRetain?: number;
}

export interface ResolvedConnectionOptions {
  maxPayload: number;
  maxFragments: number;
  maxBufferedChunks: number;
  skipUTF8Validation: boolean;
  autoPong: boolean;
  allowSynchronousEvents: boolean;
  closeTimeout: number;
  maxBackpressure: number;
  closeOnBackpressureLimit: boolean;
  borrowPayload: boolean;
  sharedReadBuffer: boolean;
  codec: Codec;
}

const codecs = new Map<string, Codec>();

/** One codec per core per process: the core is stateless between calls, so all share it. */
export function sharedCodec(core: 'auto' | 'wasm' | 'js' = 'auto'): Codec {
  let codec = codecs.get(core);
  if (codec === undefined) codecs.set(core, (codec = createCodec({ core })));
  return codec;
}

export function nonNegativeInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be an integer >= 0 (got ${String(value)})`);
  }
  return value;
}

export function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be true or false (got ${String(value)})`);
  return value;
}

export function resolveConnectionOptions(options: ConnectionOptions): ResolvedConnectionOptions {
  const core = options.core ?? 'auto';
  if (core !== 'auto' && core !== 'wasm' && core !== 'js') {
    throw new TypeError(`core must be 'auto', 'wasm' or 'js' (got ${String(core)})`);
  }
  const maxFragments = nonNegativeInteger('maxFragments', options.maxFragments, DEFAULT_MAX_FRAGMENTS);
  if (maxFragments < 1) throw new RangeError('maxFragments must be at least 1');
  const allocatorRetain = nonNegativeInteger('allocatorRetain', options.allocatorRetain, DEFAULT_ALLOCATOR_RETAIN);
  const resolved: ResolvedConnectionOptions = {
    maxPayload: nonNegativeInteger('maxPayload', options.maxPayload, DEFAULT_MAX_PAYLOAD),
    maxFragments,
    maxBufferedChunks: Math.max(1, nonNegativeInteger('maxBufferedChunks', options.maxBufferedChunks, 1024)),
    skipUTF8Validation: flag('skipUTF8Validation', options.skipUTF8Validation, false),
    autoPong: flag('autoPong', options.autoPong, true),
    allowSynchronousEvents: flag('allowSynchronousEvents', options.allowSynchronousEvents, true),
    closeTimeout: nonNegativeInteger('closeTimeout', options.closeTimeout, 30_000),
    maxBackpressure: nonNegativeInteger('maxBackpressure', options.maxBackpressure, 64 * 1024 * 1024),
    closeOnBackpressureLimit: flag('closeOnBackpressureLimit', options.closeOnBackpressureLimit, true),
    borrowPayload: flag('borrowPayload', options.borrowPayload, false),
    sharedReadBuffer: flag('sharedReadBuffer', options.sharedReadBuffer, true),
    codec: sharedCodec(core),
  };
  // Only once every option is valid: options that throw ask for nothing.
  requestRetention(allocatorRetain);
  return resolved;
}
