// A conformance case: frames a peer sends (built for the Decoder's role) and the events they
// must produce. runCases() runs every case on both cores, in both roles, in every chunking.
import { describe, it } from 'vitest';
import type { DecoderOptions } from '../../src/protocol/index.js';
import { CORES, expectDecode, type Event } from './harness.js';
import { ROLES, Wire } from './wire.js';

export interface Case {
  name: string;
  /** Appends the frames to `w` and returns the expected events. */
  build(w: Wire): Event[];
  options?: Omit<DecoderOptions, 'role' | 'codec'>;
  /** The stream byte whose arrival must trigger the error (fail-fast cases). */
  failFastAt?(w: Wire): number;
  byteLimit?: number;
  /** Also feed in chunks of this many bytes. */
  chop?: number;
}

export function runCases(title: string, cases: readonly Case[]): void {
  describe.each(CORES)(`${title} (%s core)`, (_core, codec) => {
    describe.each(ROLES.map((r) => [r]))('Decoder role %s', (role) => {
      it.each(cases)('$name', (c) => {
        const w = new Wire(role, c.name);
        const expected = c.build(w);
        expectDecode(codec, w, expected, {
          role, options: c.options, failFastAt: c.failFastAt?.(w), label: c.name, byteLimit: c.byteLimit, chop: c.chop,
        });
      });
    });
  });
}
