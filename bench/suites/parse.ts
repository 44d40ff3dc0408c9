// 3. Parsing a server's socket reads of masked client frames (RFC 6455 section 5.2):
// headers checked, payloads unmasked in place, text validated, one descriptor per frame.
import { MAX_SLICE, O_SERVER, P_MESSAGE_END, R_CONSUMED, R_ERROR, STATE_WORDS, DESC_WORDS } from '../../src/codec/layout.js';
import { ParserState } from '../../src/codec/index.js';
import { measure, type Case, type Result, type Settings } from '../lib/measure.js';
import { KiB, sizeLabel } from '../lib/inputs.js';
import { OP_BINARY, OP_TEXT, frameStream, type FrameStream } from '../lib/frames.js';
import { wsReceiver } from '../lib/peers.js';
import { checkViews, type Codecs } from '../lib/codecs.js';
import { grid, num, si, spread } from '../lib/report.js';

export const V_WASM_IN_PLACE = 'wasm core in place (exports.parse)';
export const V_WASM_COPY_IN = 'wasm core incl. copy in (set + exports.parse)';
export const V_WASM_CODEC = 'wasm codec.parse';
export const V_JS = 'js codec.parse (in place)';
export const V_WS = 'ws Receiver.write';

const NO_LIMIT = 0xffffffff;

/** The streams: 64 KiB of small frames in one read, or four 64 KiB frames in 64 KiB reads. */
export function parseStreams(): FrameStream[] {
  const out: FrameStream[] = [];
  for (const payload of [32, KiB, 64 * KiB]) {
    for (const opcode of [OP_BINARY, OP_TEXT]) {
      const label = `${opcode === OP_TEXT ? 'text' : 'binary'} ${sizeLabel(payload)}`;
      out.push(frameStream(opcode, payload, MAX_SLICE, MAX_SLICE, payload >= 64 * KiB ? 4 : 1, label));
    }
  }
  return out;
}

/** Descriptors written in one iteration land here (the check below, and no dead code). */
const tally = { descriptors: 0 };

function cases(codecs: Codecs, stream: FrameStream): { cases: Case[]; messages: () => number } {
  const bytes = stream.bytes.length;
  const ops = stream.frames;
  const reads = stream.reads;

  // In place: the whole stream sits in the pinned instance's memory; each call takes up to
  // MAX_SLICE bytes from where the previous one stopped.
  const pinned = codecs.pinned;
  const pptr = pinned.inputPtr;
  const pmem = pinned.reserve(bytes);
  pmem.set(stream.bytes, pptr);
  const pstate = new Uint32Array(pmem.buffer, pinned.exports.STATE.value, STATE_WORDS);
  const presult = pinned.result;
  const pparse = pinned.exports.parse;

  // Incl. copy in: each read is copied after what the previous call left unconsumed.
  const wasm = codecs.wasm;
  const ptr = wasm.inputPtr;
  const mem = wasm.reserve(2 * MAX_SLICE);
  const state = new Uint32Array(mem.buffer, wasm.exports.STATE.value, STATE_WORDS);
  const result = wasm.result;
  const parse = wasm.exports.parse;

  // One function literal per codec: each call site sees one receiver type.
  const js = codecs.js;
  const wasmState = new ParserState();
  const jsState = new ParserState();

  const receiver = wsReceiver();
  let messages = 0;
  receiver.on('message', () => { messages++; });
  receiver.on('error', (error) => { throw error; });

  return {
    messages: () => messages,
    cases: [
      {
        variant: V_WASM_IN_PLACE, bytes, ops,
        fn: () => {
          pstate.fill(0);
          for (let pos = 0; pos < bytes;) {
            tally.descriptors += pparse(pptr + pos, Math.min(MAX_SLICE, bytes - pos), O_SERVER, NO_LIMIT);
            pos += presult[R_CONSUMED];
          }
        },
      },
      {
        variant: V_WASM_COPY_IN, bytes, ops,
        fn: () => {
          state.fill(0);
          let carry = 0;
          for (let r = 0; r < reads.length; r++) {
            mem.set(reads[r], ptr + carry);
            const length = carry + reads[r].length;
            tally.descriptors += parse(ptr, length, O_SERVER, NO_LIMIT);
            const consumed = result[R_CONSUMED];
            carry = length - consumed;
            if (carry > 0) mem.copyWithin(ptr, ptr + consumed, ptr + length);
          }
        },
      },
      {
        variant: V_WASM_CODEC, bytes, ops,
        fn: () => {
          wasmState.reset();
          for (let r = 0; r < reads.length; r++) tally.descriptors += wasm.parse(wasmState, reads[r], O_SERVER, NO_LIMIT);
        },
      },
      {
        variant: V_JS, bytes, ops,
        fn: () => {
          jsState.reset();
          for (let r = 0; r < reads.length; r++) tally.descriptors += js.parse(jsState, reads[r], O_SERVER, NO_LIMIT);
        },
      },
      { variant: V_WS, bytes, ops, fn: () => { for (let r = 0; r < reads.length; r++) receiver.write(reads[r]); } },
    ],
  };
}

/** Frames and descriptors the JS codec finds in the stream: the reference for the check. */
function reference(codecs: Codecs, stream: FrameStream): number {
  const s = new ParserState();
  let descriptors = 0;
  let ends = 0;
  for (const read of stream.reads) {
    const n = codecs.js.parse(s, Buffer.from(read), O_SERVER, NO_LIMIT);
    if (codecs.js.result[R_ERROR] !== 0) throw new Error(`parse ${stream.label}: error ${codecs.js.result[R_ERROR]}`);
    for (let d = 0; d < n; d++) if (((codecs.js.descriptors[d * DESC_WORDS] >>> 8) & P_MESSAGE_END) !== 0) ends++;
    descriptors += n;
  }
  if (ends !== stream.frames || s.carry !== null) throw new Error(`parse ${stream.label}: ${ends} of ${stream.frames} frames`);
  return descriptors;
}

/** Runs every case once: each must write the reference's descriptors (ws: emit every message). */
function verify(stream: FrameStream, made: ReturnType<typeof cases>, expected: number): void {
  for (const c of made.cases) {
    const before = made.messages();
    tally.descriptors = 0;
    c.fn();
    const got = c.variant === V_WS ? made.messages() - before : tally.descriptors;
    const want = c.variant === V_WS ? stream.frames : expected;
    if (got !== want) throw new Error(`parse ${stream.label}: ${c.variant} gave ${got}, expected ${want}`);
  }
}

export interface ParseSuite { readonly streams: FrameStream[]; readonly results: Result[][]; readonly markdown: string }

export function parseSuite(codecs: Codecs, settings: Settings, log: (line: string) => void): ParseSuite {
  const streams = parseStreams();
  const results: Result[][] = [];
  for (const stream of streams) {
    const made = cases(codecs, stream);
    verify(stream, made, reference(codecs, stream));
    log(`parse ${stream.label}`);
    results.push(measure(made.cases, settings));
    checkViews([codecs.wasm.bytes, codecs.pinned.bytes]);
  }
  const columns = streams.map((s) => s.label);
  const markdown = [
    '## 3. Parse',
    '',
    'Masked client frames as a server reads them: 64 KiB of 32 B or 1 KiB frames in one read, or four 64 KiB frames ' +
      '(262,200 B) in 64 KiB reads (frames straddle reads). Text payloads are ASCII. GB/s counts wire bytes (headers ' +
      'included). The masking keys have 7-bit bytes, so re-unmasking ASCII in place keeps it valid: the JS core and ws ' +
      'parse the same buffer every iteration without a restoring copy, as on a socket; the wasm rows include the copy ' +
      'into WebAssembly memory except "in place".',
    '',
    'Median frames/s:',
    '',
    grid('variant', columns, results, (r) => si(r.opsPerSec.p50)),
    '',
    'Median GB/s (p25–p75):',
    '',
    grid('variant', columns, results, (r) => spread(r.gbps, num)),
  ].join('\n');
  return { streams, results, markdown };
}
