// Reference UTF-8 validator and encoder, straight from RFC 3629 section 4, one code point
// at a time. Deliberately slow and plain: the cores are checked against it.
//
//   UTF8-1 = %x00-7F
//   UTF8-2 = %xC2-DF UTF8-tail
//   UTF8-3 = %xE0 %xA0-BF UTF8-tail / %xE1-EC 2( UTF8-tail ) /
//            %xED %x80-9F UTF8-tail / %xEE-EF 2( UTF8-tail )
//   UTF8-4 = %xF0 %x90-BF 2( UTF8-tail ) / %xF1-F3 3( UTF8-tail ) /
//            %xF4 %x80-8F 2( UTF8-tail )
//   UTF8-tail = %x80-BF

type Range = readonly [lo: number, hi: number];
const TAIL: Range = [0x80, 0xbf];

/** Each row: the lead byte range, then the range of every following byte. */
const SEQUENCES: readonly (readonly Range[])[] = [
  [[0x00, 0x7f]],
  [[0xc2, 0xdf], TAIL],
  [[0xe0, 0xe0], [0xa0, 0xbf], TAIL],
  [[0xe1, 0xec], TAIL, TAIL],
  [[0xed, 0xed], [0x80, 0x9f], TAIL],
  [[0xee, 0xef], TAIL, TAIL],
  [[0xf0, 0xf0], [0x90, 0xbf], TAIL, TAIL],
  [[0xf1, 0xf3], TAIL, TAIL, TAIL],
  [[0xf4, 0xf4], [0x80, 0x8f], TAIL, TAIL],
];

const inRange = (b: number, [lo, hi]: Range): boolean => b >= lo && b <= hi;

export interface Utf8Verdict {
  /** Offset of the first byte at which the input stops being a prefix of valid UTF-8, or -1. */
  readonly errorAt: number;
  /**
   * When the input ends inside a sequence: the layout.ts DFA state naming what comes next
   * (1-3: that many tails; 4: A0-BF after E0; 5: 80-9F after ED; 6: 90-BF after F0;
   * 7: 80-8F after F4). 0 at a boundary or on error.
   */
  readonly state: number;
  /** Bytes of the incomplete trailing sequence (0 at a boundary or on error). */
  readonly pending: number;
}

/** The layout.ts state after `seen` bytes of a sequence whose row is `row`. */
function stateAfter(row: readonly Range[], seen: number): number {
  if (seen === 1 && row[1] !== TAIL) return { 0xe0: 4, 0xed: 5, 0xf0: 6, 0xf4: 7 }[row[0][0]] ?? -1;
  return row.length - seen;
}

export function referenceUtf8(bytes: Uint8Array): Utf8Verdict {
  let i = 0;
  while (i < bytes.length) {
    const row = SEQUENCES.find((r) => inRange(bytes[i], r[0]));
    if (row === undefined) return { errorAt: i, state: 0, pending: 0 };
    for (let k = 1; k < row.length; k++) {
      if (i + k === bytes.length) return { errorAt: -1, state: stateAfter(row, k), pending: k };
      if (!inRange(bytes[i + k], row[k])) return { errorAt: i + k, state: 0, pending: 0 };
    }
    i += row.length;
  }
  return { errorAt: -1, state: 0, pending: 0 };
}

/** RFC 3629 section 3: the UTF-8 bytes of one scalar value. */
export function encodeCodePoint(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
}
