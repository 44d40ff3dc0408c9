// Shared plumbing for the parse tests: option bits ↔ reference options, random chunkings
// that like to cut headers, and cross-core trace comparison.
import { expect } from 'vitest';
import { O_ALLOW_RSV1, O_SERVER, O_SKIP_UTF8 } from '../../src/codec/layout.js';
import type { Rng } from '../reference/random.js';
import { referenceParse, type ReferenceResult } from '../reference/frame-parser.js';
import { summarize, type FrameSummary, type StreamResult } from './parse-stream.js';

export const NO_LIMIT = 0xffffffff;

export function reference(bytes: Uint8Array, options: number, maxPayload = NO_LIMIT): ReferenceResult {
  return referenceParse(bytes, {
    server: (options & O_SERVER) !== 0,
    allowRsv1: (options & O_ALLOW_RSV1) !== 0,
    skipUtf8: (options & O_SKIP_UTF8) !== 0,
    maxPayload,
  });
}

/** The reference's verdict in outcome()'s shape. */
export function expectedOutcome(bytes: Uint8Array, options: number, maxPayload = NO_LIMIT): { frames: FrameSummary[]; error: ReferenceResult['error'] } {
  const { frames, error } = reference(bytes, options, maxPayload);
  return { frames: summarize(frames), error };
}

/**
 * Random cut points: uniform ones, cuts a few bytes around frame starts (to split headers
 * and masking keys), and runs of 1-byte chunks.
 */
export function randomCuts(rng: Rng, length: number, starts: readonly number[] = []): number[] {
  const cuts = rng.cuts(length, rng.range(0, 40));
  for (const s of starts) {
    if (rng.bool(0.3)) cuts.push(s + rng.range(-2, 14));
  }
  if (rng.bool(0.3)) {
    const from = rng.int(length + 1);
    for (let i = 0; i < rng.range(1, 40); i++) cuts.push(from + i);
  }
  return cuts.filter((c) => c >= 0 && c <= length).sort((a, b) => a - b);
}

/** Every call's state, descriptors and result, as one comparable string. */
export function traceOf(run: StreamResult): string {
  return JSON.stringify(run.calls);
}

/** Traces recorded per key by the first core that ran a case; later cores must match. */
const traces = new Map<string, { core: string; trace: string }>();

export function expectSameTrace(key: string, core: string, run: StreamResult, note: string): void {
  const trace = traceOf(run);
  const seen = traces.get(key);
  if (seen === undefined) {
    traces.set(key, { core, trace });
    return;
  }
  if (seen.trace === trace) return;
  const theirs = JSON.parse(seen.trace) as unknown[];
  const call = run.calls.findIndex((c, i) => JSON.stringify(c) !== JSON.stringify(theirs[i]));
  expect(run.calls[call], `${note}: call ${call} differs from the ${seen.core} core`).toEqual(theirs[call]);
  expect(run.calls.length, `${note}: number of calls differs from the ${seen.core} core`).toBe(theirs.length);
}
