// Builds the bytes a peer sends, frame by frame, and remembers where every frame and payload
// starts so tests can name the absolute stream offset an error must point at.
// A Decoder in role 'server' reads a client's frames, so those are masked (RFC 6455 section 5.1).
import { buildFrame, concatBytes, minimalForm, type FrameSpec } from '../reference/frame-builder.js';
import { Rng } from '../reference/random.js';

export type Role = 'server' | 'client';
export const ROLES: readonly Role[] = ['server', 'client'];

export type ByteSource = string | Uint8Array | readonly number[];

/** Bytes of a UTF-8 string, a byte array, or a list of numbers. */
export function bytesOf(data: ByteSource): Uint8Array {
  if (typeof data === 'string') return new Uint8Array(Buffer.from(data, 'utf8'));
  return data instanceof Uint8Array ? data : Uint8Array.from(data);
}

/** Bytes from hex, spaces allowed: fromHex('ce ba e1'). */
export function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

export type WireFrame = Omit<FrameSpec, 'opcode' | 'payload' | 'mask'> & {
  /** Override the role's masking: a key, or null for an unmasked frame. */
  mask?: ArrayLike<number> | null;
};

export class Wire {
  private readonly parts: Uint8Array[] = [];
  private readonly keys: Rng;
  /** Offset of every frame's first header byte. */
  readonly starts: number[] = [];
  /** Offset of every frame's first payload byte. */
  readonly payloadAt: number[] = [];
  length = 0;

  constructor(readonly role: Role, label = 'wire') {
    this.keys = new Rng(`wire keys ${label}`);
  }

  /** Appends one frame; returns its index. */
  frame(opcode: number, payload: ByteSource = [], spec: WireFrame = {}): number {
    const data = bytesOf(payload);
    const mask = spec.mask !== undefined ? spec.mask : this.role === 'server' ? this.keys.bytes(4) : null;
    // A declared length (a header whose payload is not sent) picks its own length form.
    const form = spec.form ?? (spec.declaredLength !== undefined ? minimalForm(Number(spec.declaredLength)) : undefined);
    const bytes = buildFrame({ ...spec, form, opcode, payload: data, mask });
    this.starts.push(this.length);
    this.payloadAt.push(this.length + bytes.length - data.length);
    this.parts.push(bytes);
    this.length += bytes.length;
    return this.starts.length - 1;
  }

  /** Appends raw bytes (a truncated frame, garbage). */
  raw(data: ByteSource): this {
    const bytes = bytesOf(data);
    this.parts.push(bytes);
    this.length += bytes.length;
    return this;
  }

  /**
   * Appends a data message split at `cuts` (sorted payload offsets; repeats give empty
   * frames). Returns a map from a payload index (0..length) to its stream offset; index
   * `length` maps to the end of the final frame's payload.
   */
  message(opcode: number, payload: ByteSource, cuts: readonly number[] = [], spec: WireFrame = {}): (i: number) => number {
    const data = bytesOf(payload);
    const points = [0, ...cuts, data.length];
    const frames: { from: number; to: number; index: number }[] = [];
    for (let k = 0; k + 1 < points.length; k++) {
      const from = points[k];
      const to = points[k + 1];
      const fin = k + 2 === points.length;
      const index = this.frame(k === 0 ? opcode : 0, data.subarray(from, to), { ...spec, fin, rsv1: k === 0 && spec.rsv1 });
      frames.push({ from, to, index });
    }
    return (i) => {
      const last = frames[frames.length - 1];
      const f = i >= data.length ? last : frames.find((x) => x.from <= i && i < x.to) ?? last;
      return this.payloadAt[f.index] + i - f.from;
    };
  }

  get bytes(): Uint8Array {
    return concatBytes(this.parts);
  }
}

/** Every split of `length` bytes into two fragments: cut points 1..length-1. */
export function everySplit(length: number): number[][] {
  const out: number[][] = [];
  for (let k = 1; k < length; k++) out.push([k]);
  return out;
}

/** Cut points 1..length-1: every byte its own fragment. */
export function everyByte(length: number): number[] {
  return Array.from({ length: Math.max(0, length - 1) }, (_, i) => i + 1);
}
