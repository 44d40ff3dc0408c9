// codec.parse on streams of mixed frames, fed whole, byte by byte, split in two at every
// offset and in seeded random chunkings: every core must give the builder's frames and
// make the same calls (descriptors, results, state and carry after each) as every other
// core. Also: one core's ParserState continued by another, `auto` around PARSE_CROSSOVER,
// and random garbage (never throws, same verdict everywhere, same as the reference).
import { describe, expect, it, vi } from 'vitest';
import { ParserState, type Codec } from '../src/codec/index.js';
import { PARSE_CROSSOVER } from '../src/codec/auto.js';
import { DESC_CAPACITY, O_ALLOW_RSV1, O_SERVER, O_SKIP_UTF8 } from '../src/codec/layout.js';
import { CORE_TABLE, hex, makeAuto, makeCodec } from './helpers/codecs.js';
import { corrupt, randomStream, type GeneratedStream, type StreamSpec } from './helpers/generators.js';
import { outcome, parseStream, summarize, type FrameSummary } from './helpers/parse-stream.js';
import { expectedOutcome, expectSameTrace, NO_LIMIT, randomCuts, traceOf } from './helpers/parse-cases.js';
import { buildFrame, concatBytes } from './reference/frame-builder.js';
import { Rng } from './reference/random.js';

interface Case extends GeneratedStream {
  name: string;
  options: number;
  truth: { frames: FrameSummary[]; error: null };
}

function makeCase(name: string, options: number, spec: Omit<StreamSpec, 'server' | 'allowRsv1'>): Case {
  const rng = new Rng(`stream ${name}`);
  const stream = randomStream(rng, { ...spec, server: (options & O_SERVER) !== 0, allowRsv1: (options & O_ALLOW_RSV1) !== 0 });
  return { name, options, ...stream, truth: { frames: summarize(stream.frames), error: null } };
}

/** Four streams of 50+ frames (two over 64 KiB each), one per role and RSV1 setting. */
const BIG = [
  makeCase('server', O_SERVER, { frames: 60, bigFrames: 2, close: true }),
  makeCase('client', 0, { frames: 60, bigFrames: 2 }),
  makeCase('server deflate', O_SERVER | O_ALLOW_RSV1, { frames: 60, bigFrames: 2 }),
  makeCase('client deflate', O_ALLOW_RSV1, { frames: 60, bigFrames: 2, close: true }),
];
const SMALL = makeCase('small', O_SERVER, { frames: 30, maxSize: 200, close: true });
const TINY = makeCase('tiny', O_SERVER, { frames: 12, maxSize: 24, close: true });

const note = (rng: Rng, c: Case, cuts: readonly number[]): string =>
  `${rng.note}, stream '${c.name}' (${c.bytes.length} bytes), cuts ${cuts.length > 300 ? `${cuts.length} cuts` : cuts.join(',')}`;

describe('the generated streams and the reference parser', () => {
  it('agree: the reference finds exactly the frames the builder made', () => {
    for (const c of [...BIG, SMALL, TINY]) {
      expect(c.frames.length, c.name).toBeGreaterThanOrEqual(12);
      expect(expectedOutcome(c.bytes, c.options), c.name).toEqual(c.truth);
      expect(c.frames.filter((f) => f.payload.length > 0xffff).length, c.name).toBeLessThanOrEqual(2);
    }
    expect(TINY.bytes.length).toBeGreaterThan(200);
    expect(TINY.bytes.length).toBeLessThan(600);
    expect(BIG.every((c) => c.frames.length >= 50 && c.frames.some((f) => f.payload.length > 0xffff))).toBe(true);
  });
});

/** Random garbage: pure noise, or a small valid stream with 1-3 random edits. */
function garbage(rng: Rng): { bytes: Uint8Array; options: number; maxPayload: number } {
  const options = (rng.bool() ? O_SERVER : 0) | (rng.bool(0.3) ? O_ALLOW_RSV1 : 0) | (rng.bool(0.1) ? O_SKIP_UTF8 : 0);
  const maxPayload = rng.bool(0.7) ? NO_LIMIT : rng.int(300);
  if (rng.bool(0.3)) return { bytes: rng.bytes(rng.int(300)), options, maxPayload };
  const stream = randomStream(rng, { frames: rng.range(1, 6), server: (options & O_SERVER) !== 0, allowRsv1: (options & O_ALLOW_RSV1) !== 0, maxSize: 150, close: rng.bool(0.2) });
  return { bytes: corrupt(rng, stream.bytes, rng.range(1, 3)), options, maxPayload };
}

describe.each(CORE_TABLE)('parse streams on the %s core', (label) => {
  const codec: Codec = makeCodec(label);

  function check(c: Case, cuts: readonly number[], key: string, what: string): void {
    const run = parseStream(codec, c.bytes, cuts, c.options);
    expect(run.anomalies, what).toEqual([]);
    expect(outcome(run), what).toEqual(c.truth);
    expectSameTrace(key, label, run, what);
  }

  it('parses four streams of 50+ mixed frames fed whole', () => {
    for (const c of BIG) check(c, [], `whole ${c.name}`, `stream '${c.name}' whole`);
  });

  it('parses a stream fed byte by byte', () => {
    const cuts = Array.from({ length: SMALL.bytes.length }, (_, i) => i);
    check(SMALL, cuts, 'bytewise', `stream '${SMALL.name}' (${SMALL.bytes.length} bytes) byte by byte`);
  });

  it('parses a ~300-byte stream split in two at every offset', () => {
    for (let at = 0; at <= TINY.bytes.length; at++) check(TINY, [at], `split ${at}`, `stream '${TINY.name}' split at ${at}: ${hex(TINY.bytes, 600)}`);
  });

  it('parses 1,000 seeded random chunkings like the builder and like the other cores', () => {
    const rng = new Rng('random chunkings');
    for (let i = 0; i < 1000; i++) {
      const c = BIG[i % BIG.length];
      const cuts = randomCuts(rng, c.bytes.length, c.starts);
      check(c, cuts, `chunking ${i}`, `${note(rng, c, cuts)} (case ${i})`);
    }
  });

  it('never throws on 10,000 seeded garbage buffers, both roles; agrees with the reference and the other cores', () => {
    const rng = new Rng('garbage');
    for (let i = 0; i < 10_000; i++) {
      const { bytes, options, maxPayload } = garbage(rng);
      const cuts = rng.bool() ? [] : randomCuts(rng, bytes.length);
      const what = `${rng.note} case ${i}: options ${options} maxPayload ${maxPayload} cuts ${cuts.join(',')}: ${hex(bytes, 400)}`;
      let run;
      try {
        run = parseStream(codec, bytes, cuts, options, maxPayload);
      } catch (error) {
        expect.fail(`${what}: threw ${String(error)}`);
      }
      expect(run.anomalies, what).toEqual([]);
      expect(outcome(run), what).toEqual(expectedOutcome(bytes, options, maxPayload));
      expectSameTrace(`garbage ${i}`, label, run, what);
    }
  });

  it('describes 32,768 empty frames in one call (DESC_CAPACITY is never exceeded)', () => {
    const pongs = new Uint8Array(65536);
    for (let i = 0; i < pongs.length; i += 2) pongs[i] = 0x8a;
    // A ping of 125 bytes split 100 + 27: the carry holds 102 bytes before the next slice.
    const ping = buildFrame({ opcode: 0x9, payload: new Uint8Array(125).fill(1) });
    const bytes = concatBytes([ping, pongs]);
    const run = parseStream(codec, bytes, [102, 102 + 65536], 0);
    expect(run.anomalies).toEqual([]);
    expect(Math.max(...run.calls.map((c) => c.n))).toBeLessThanOrEqual(DESC_CAPACITY);
    expect(run.calls.map((c) => c.n)).toEqual([0, 1 + 32755, 13]);
    expect(outcome(run)).toEqual(expectedOutcome(bytes, 0));
  });
});

describe('ParserState handed from core to core', () => {
  const cores = (['wasm', 'wasm-scalar', 'js'] as const).map(makeCodec);

  it('gives the same calls when the core changes at random between calls', () => {
    const rng = new Rng('mixed cores');
    for (let i = 0; i < 300; i++) {
      const c = i % 5 === 4 ? SMALL : BIG[i % BIG.length];
      const cuts = randomCuts(rng, c.bytes.length, c.starts);
      const picks: number[] = [];
      const mixed = parseStream((call) => cores[(picks[call] = rng.int(cores.length))], c.bytes, cuts, c.options);
      const single = parseStream(cores[2], c.bytes, cuts, c.options);
      const what = `${note(rng, c, cuts)}, cores by call ${picks.join('')}`;
      expect(mixed.anomalies, what).toEqual([]);
      expect(outcome(mixed), what).toEqual(c.truth);
      expect(traceOf(mixed) === traceOf(single), `${what}: calls differ from the js core alone`).toBe(true);
    }
  });

  it(`auto parses chunks under PARSE_CROSSOVER (${PARSE_CROSSOVER}) in JS and the rest in WebAssembly`, () => {
    const auto = makeAuto();
    const js = vi.spyOn(auto.js, 'parse');
    const wasm = vi.spyOn(auto.wasm, 'parse');
    const rng = new Rng('parse crossover');
    for (const c of [...BIG, SMALL]) {
      const sizes = [PARSE_CROSSOVER - 1, PARSE_CROSSOVER, PARSE_CROSSOVER + 1, 1, 7, ...(c === SMALL ? [] : [300])];
      // Every 30th chunk of a big stream is large (5000 B or a whole 64 KiB slice).
      const size = (k: number): number => (c !== SMALL && k % 30 === 29 ? rng.pick([5000, 65536]) : rng.pick(sizes));
      const cuts: number[] = [];
      const used: boolean[] = [];
      for (let at = size(0); at < c.bytes.length; at += size(cuts.length)) cuts.push(at);
      js.mockClear();
      wasm.mockClear();
      const run = parseStream(auto, c.bytes, cuts, c.options, NO_LIMIT, new ParserState());
      run.calls.forEach((call) => used.push(call.chunk < PARSE_CROSSOVER));
      const what = note(rng, c, cuts);
      expect(outcome(run), what).toEqual(c.truth);
      expect(js.mock.calls.length, what).toBe(used.filter(Boolean).length);
      expect(wasm.mock.calls.length, what).toBe(used.filter((u) => !u).length);
      expect(Math.min(js.mock.calls.length, wasm.mock.calls.length), `${what}: both cores used`).toBeGreaterThan(3);
      expect(traceOf(run) === traceOf(parseStream(makeCodec('wasm'), c.bytes, cuts, c.options)), `${what}: same calls as wasm alone`).toBe(true);
    }
  });

  it('reports garbage with the same error from any mix of cores', () => {
    const rng = new Rng('garbage mixed');
    for (let i = 0; i < 2000; i++) {
      const { bytes, options, maxPayload } = garbage(rng);
      const cuts = randomCuts(rng, bytes.length);
      const mixed = parseStream(() => cores[rng.int(cores.length)], bytes, cuts, options, maxPayload);
      expect(outcome(mixed), `${rng.note} case ${i}: ${hex(bytes, 400)}`).toEqual(expectedOutcome(bytes, options, maxPayload));
    }
  });
});
