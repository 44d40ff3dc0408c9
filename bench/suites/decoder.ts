// 5. The Decoder (src/protocol): messages out of 64 KiB socket reads of masked client frames,
// next to ws's Receiver fed the same reads — with bufferutil, and with ws's JS unmask (what
// WS_NO_BUFFER_UTIL=1 gives; on Node 20 ws validates UTF-8 with buffer.isUtf8 either way).
import { MAX_SLICE } from '../../src/codec/layout.js';
import { Decoder, type DecoderHandler } from '../../src/protocol/index.js';
import { measure, type Case, type Result, type Settings } from '../lib/measure.js';
import { KiB, MiB, sizeLabel } from '../lib/inputs.js';
import { OP_BINARY, OP_TEXT, frameStream, type FrameStream } from '../lib/frames.js';
import { wsReceiver, wsReceiverJs } from '../lib/peers.js';
import type { Codecs } from '../lib/codecs.js';
import { grid, si, spread, num } from '../lib/report.js';

export const D_WASM = 'wsframe Decoder, wasm core (copies each message out)';
export const D_BORROW = 'wsframe Decoder, wasm core, borrowPayload';
export const D_JS = 'wsframe Decoder, js core';
export const D_WS = 'ws Receiver + bufferutil';
export const D_WS_JS = 'ws Receiver, JS unmask (WS_NO_BUFFER_UTIL=1)';

/** At least 256 KiB of frames of each size (four 1 MiB frames), read 64 KiB at a time. */
function streams(): FrameStream[] {
  const out: FrameStream[] = [];
  for (const payload of [32, KiB, 64 * KiB, MiB]) {
    for (const opcode of [OP_BINARY, OP_TEXT]) {
      const label = `${opcode === OP_TEXT ? 'text' : 'binary'} ${sizeLabel(payload)}`;
      out.push(frameStream(opcode, payload, 4 * MAX_SLICE, MAX_SLICE, payload >= MiB ? 4 : 1, label));
    }
  }
  return out;
}

let messages = 0;
const handler: DecoderHandler = {
  onMessage: () => { messages++; },
  onPing: () => {},
  onPong: () => {},
  onClose: () => {},
  onError: (e) => { throw new Error(e.message); },
};

function cases(codecs: Codecs, stream: FrameStream): Case[] {
  const bytes = stream.bytes.length;
  const ops = stream.frames;
  const reads = stream.reads;
  const feedAll = (decoder: () => Decoder) => () => {
    const d = decoder();
    for (let r = 0; r < reads.length; r++) d.feed(reads[r]);
  };
  const ws = wsReceiver();
  const wsJs = wsReceiverJs();
  for (const r of [ws, wsJs]) {
    r.on('message', () => { messages++; });
    r.on('error', (e) => { throw e; });
  }
  // A Decoder is cheap to make; a fresh one per iteration starts every run at a frame edge.
  return [
    { variant: D_WASM, bytes, ops, fn: feedAll(() => new Decoder({ role: 'server', maxPayload: 0, codec: codecs.wasm }, handler)) },
    { variant: D_BORROW, bytes, ops, fn: feedAll(() => new Decoder({ role: 'server', maxPayload: 0, codec: codecs.wasm, borrowPayload: true }, handler)) },
    { variant: D_JS, bytes, ops, fn: feedAll(() => new Decoder({ role: 'server', maxPayload: 0, codec: codecs.js }, handler)) },
    { variant: D_WS, bytes, ops, fn: () => { for (let r = 0; r < reads.length; r++) ws.write(reads[r]); } },
    { variant: D_WS_JS, bytes, ops, fn: () => { for (let r = 0; r < reads.length; r++) wsJs.write(reads[r]); } },
  ];
}

export interface DecoderSuite { readonly streams: FrameStream[]; readonly results: Result[][]; readonly markdown: string }

export function decoderSuite(codecs: Codecs, settings: Settings, log: (line: string) => void): DecoderSuite {
  const all = streams();
  const results: Result[][] = [];
  for (const stream of all) {
    const made = cases(codecs, stream);
    for (const c of made) {
      messages = 0;
      c.fn();
      if (messages !== stream.frames) throw new Error(`decoder ${stream.label}: ${c.variant} gave ${messages} messages, expected ${stream.frames}`);
    }
    log(`decoder ${stream.label}`);
    results.push(measure(made, settings));
  }
  const columns = all.map((s) => s.label);
  const ratio = (variant: string) => all.map((_, i) => {
    const row = results[i];
    const ours = row.find((r) => r.variant === variant)!.opsPerSec.p50;
    const ws = row.find((r) => r.variant === D_WS)!.opsPerSec.p50;
    return `${(ours / ws).toFixed(2)}×`;
  });
  const markdown = [
    '## 5. Decoder (messages out of socket reads)',
    '',
    'Masked client frames (ASCII text or random binary) read 64 KiB at a time, at least 256 KiB per stream (four ' +
      'frames of 1 MiB). Every message is delivered to a handler; wsframe copies each message out of WebAssembly ' +
      'memory unless borrowPayload. ws\'s Receiver is set up as its server does (isServer, no permessage-deflate).',
    '',
    'Median messages/s:',
    '',
    grid('variant', columns, results, (r) => si(r.opsPerSec.p50)),
    '',
    'Median GB/s of wire bytes (p25–p75):',
    '',
    grid('variant', columns, results, (r) => spread(r.gbps, num)),
    '',
    `Ratio to ws Receiver + bufferutil (messages/s): wasm ${columns.map((c, i) => `${c} ${ratio(D_WASM)[i]}`).join(', ')}; ` +
      `borrowPayload ${columns.map((c, i) => `${c} ${ratio(D_BORROW)[i]}`).join(', ')}.`,
  ].join('\n');
  return { streams: all, results, markdown };
}
