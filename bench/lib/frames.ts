// A small builder of masked client frames (RFC 6455 section 5.2) for the parse benchmarks.
//
// Masking keys here have every byte in 01-7F. XOR with such a key maps ASCII to ASCII,
// so an ASCII text payload stays valid UTF-8 however many times a parser unmasks it in
// place: the JS core and ws's Receiver can parse the same buffer again and again without
// a restoring copy (which they would not pay on a real socket). Binary payloads do not
// care what their bytes are. The work per parse is the same as with any other key.
import { asciiPayload, randomBytes, rng } from './inputs.js';

export const OP_TEXT = 1;
export const OP_BINARY = 2;

/** One final, masked frame carrying `payload`. */
export function maskedFrame(opcode: number, payload: Uint8Array, key: Uint8Array): Buffer {
  const n = payload.length;
  const lengthBytes = n < 126 ? 0 : n < 0x10000 ? 2 : 8;
  const header = 2 + lengthBytes + 4;
  const out = Buffer.alloc(header + n);
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | (lengthBytes === 0 ? n : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) out.writeUInt16BE(n, 2);
  if (lengthBytes === 8) out.writeBigUInt64BE(BigInt(n), 2);
  out.set(key, header - 4);
  for (let i = 0; i < n; i++) out[header + i] = payload[i] ^ key[i & 3];
  return out;
}

/** A key with bytes in 01-7F (see the note at the top). */
export function asciiSafeKey(seed: number): Buffer {
  const next = rng(seed);
  const key = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) key[i] = 1 + (next() % 0x7f);
  return key;
}

export interface FrameStream {
  /** What the stream is: "binary 1 KiB" etc. */
  readonly label: string;
  readonly opcode: number;
  readonly payloadSize: number;
  readonly frames: number;
  /** The whole stream, for parsers that take it in one piece. */
  readonly bytes: Buffer;
  /** The stream cut into socket reads of at most `readSize` bytes. */
  readonly reads: readonly Buffer[];
}

/**
 * Frames of `payloadSize` bytes back to back, as a server reads them from a client.
 * `budget` bytes hold as many whole frames as fit (at least `minFrames`); the stream is
 * then cut into reads of `readSize` bytes (a frame may straddle two reads).
 */
export function frameStream(
  opcode: number, payloadSize: number, budget: number, readSize: number, minFrames = 1, label = '',
): FrameStream {
  const frameLength = maskedFrame(opcode, new Uint8Array(payloadSize), new Uint8Array(4)).length;
  const frames = Math.max(minFrames, Math.floor(budget / frameLength));
  const bytes = Buffer.alloc(frames * frameLength);
  for (let f = 0; f < frames; f++) {
    const payload = opcode === OP_TEXT ? asciiPayload(payloadSize, 7 + f) : randomBytes(payloadSize, 7 + f);
    bytes.set(maskedFrame(opcode, payload, asciiSafeKey(99 + f)), f * frameLength);
  }
  const reads: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += readSize) reads.push(bytes.subarray(at, Math.min(at + readSize, bytes.length)));
  return { label, opcode, payloadSize, frames, bytes, reads };
}
