// Reference frame builder, after ws's Sender.frame(): RFC 6455 section 5.2 base framing.
//
//   byte 0: FIN RSV1 RSV2 RSV3 opcode(4)     byte 1: MASK length7
//   length7 126 → 16-bit length follows; 127 → 64-bit length follows (network order)
//   then the 4-byte masking key when MASK is set, then the (masked) payload.
import { referenceMask } from './mask.js';

export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array;
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** The 4 masking-key bytes (wire order); the payload is masked with them. */
  mask?: ArrayLike<number> | null;
  /** Length encoding; default the minimal one. A non-minimal form is still accepted (as by ws). */
  form?: 7 | 16 | 64;
  /** Writes this in the length field instead of the payload's length (for malformed frames). */
  declaredLength?: bigint | number;
}

/** Header length for a payload of `length` bytes in `form`, masked or not. */
export function headerLength(form: 7 | 16 | 64, masked: boolean): number {
  return (form === 7 ? 2 : form === 16 ? 4 : 10) + (masked ? 4 : 0);
}

export function minimalForm(length: number): 7 | 16 | 64 {
  return length <= 125 ? 7 : length <= 0xffff ? 16 : 64;
}

export function buildFrame(spec: FrameSpec): Uint8Array {
  const payload = spec.payload ?? new Uint8Array(0);
  const length = BigInt(spec.declaredLength ?? payload.length);
  const form = spec.form ?? minimalForm(payload.length);
  const masked = spec.mask !== undefined && spec.mask !== null;
  const header: number[] = [
    ((spec.fin ?? true) ? 0x80 : 0) | (spec.rsv1 ? 0x40 : 0) | (spec.rsv2 ? 0x20 : 0) |
      (spec.rsv3 ? 0x10 : 0) | (spec.opcode & 0x0f),
  ];
  const maskBit = masked ? 0x80 : 0;
  if (form === 7) {
    header.push(maskBit | Number(length & 0x7fn));
  } else if (form === 16) {
    header.push(maskBit | 126, Number((length >> 8n) & 0xffn), Number(length & 0xffn));
  } else {
    header.push(maskBit | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) header.push(Number((length >> shift) & 0xffn));
  }
  const key = masked ? Array.from(spec.mask as ArrayLike<number>) : [];
  const out = new Uint8Array(header.length + key.length + payload.length);
  out.set(header, 0);
  out.set(key, header.length);
  out.set(masked ? referenceMask(payload, key) : payload, header.length + key.length);
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
