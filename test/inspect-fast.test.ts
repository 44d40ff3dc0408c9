// The inspector's fast paths agree with the plain ones:
//   - the CLI's table (frames handed over in batches through `onFrames`, rows sorted with
//     `frameOrder`) is the table `formatTable` makes of the whole report, byte for byte;
//   - `onFrames` sees the same frames, in the same order once sorted, as the report;
//   - the structure checks that run before the MessagePack and CBOR decoders never turn
//     away a payload the decoder reads (random bytes, and every value we encode).
import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { encode as encodeMsgpack, decode as decodeMsgpack } from '@msgpack/msgpack';
import { encode as encodeCbor, decode as decodeCbor } from 'cborg';
import { detectAndInspect } from '../src/inspect/detect.js';
import { frameOrder } from '../src/inspect/capture/session.js';
import { zlibInflater } from '../src/inspect/inflate-node.js';
import { runInspect, writeTime } from '../src/inspect/cli.js';
import { ConnectionInspector } from '../src/inspect/capture/connection.js';
import { StreamInspector } from '../src/inspect/stream.js';
import { fixed6, formatTable } from '../src/inspect/table.js';
import { cborEnd, jsonShaped, msgpackEnd } from '../src/inspect/shape.js';
import { printable, textPreview } from '../src/inspect/payload.js';
import type { InspectedFrame } from '../src/inspect/types.js';
import {
  buildFrame, LINK_TYPES, packetsOf, tcpSession, upgradeRequest, upgradeResponse, utf8, writePcap,
  type RawPacket, type SessionStep,
} from './inspect-support.js';
import { Rng } from './reference/random.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const KEY = [9, 8, 7, 6];
const SERVER = { ip: '10.9.0.1', port: 8080 };

function frame(from: 'client' | 'server', opcode: number, payload: Uint8Array, o: { fin?: boolean; rsv1?: boolean } = {}): SessionStep {
  return { from, bytes: buildFrame({ opcode, payload, fin: o.fin, rsv1: o.rsv1, mask: from === 'client' ? KEY : null }) };
}

/** permessage-deflate's form of a message: raw DEFLATE without the final empty block's tail. */
function deflated(text: string): Uint8Array {
  const d = deflateRawSync(Buffer.from(text), { finishFlush: 2 }); // Z_SYNC_FLUSH
  return Uint8Array.from(d.subarray(0, d.length - 4));
}

/**
 * Several connections whose packets interleave in time: one with hundreds of small frames
 * (several batches), one compressed (no context takeover), one with problems, one whose
 * capture ends inside a frame, and one that is not WebSocket.
 */
function capture(): Uint8Array {
  const rng = new Rng('inspect-fast');
  const sessions: SessionStep[][] = [];
  const many: SessionStep[] = [{ from: 'client', bytes: upgradeRequest() }, { from: 'server', bytes: upgradeResponse() }];
  for (let i = 0; i < 700; i++) {
    const body = i % 5 === 0 ? encodeMsgpack({ i, ok: true }) : utf8(`{"n":${i},"s":"${'x'.repeat(rng.int(300))}"}`);
    many.push(frame(i % 2 === 0 ? 'client' : 'server', i % 5 === 0 ? 2 : 1, body));
  }
  // Previews at the edges of the row writer's ASCII path: empty, blank, trailing blanks,
  // around the preview column's width (40), non-ASCII before and after the cut.
  for (const text of ['', ' ', 'trailing   ', 'ééé   ', 'x'.repeat(39), 'x'.repeat(40), 'x'.repeat(41), `${'y'.repeat(38)} `,
    `${'z'.repeat(39)}é`, `${'z'.repeat(38)}é`, 'nbsp\u00a0', 'tab\there', '\u2028line']) {
    many.push(frame('server', 1, utf8(text)));
  }
  sessions.push(many);
  const ext = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';
  sessions.push([
    { from: 'client', bytes: upgradeRequest(ext) }, { from: 'server', bytes: upgradeResponse(ext) },
    frame('client', 1, deflated('compressed hello '.repeat(40)), { rsv1: true }),
    frame('server', 1, deflated('compressed reply '.repeat(40)), { rsv1: true }),
    frame('client', 2, Uint8Array.from([1, 2, 3, 4]), { fin: false }), frame('client', 9, utf8('ping')),
    frame('client', 0, Uint8Array.from([5, 6]), {}),
  ]);
  sessions.push([
    { from: 'client', bytes: upgradeRequest() }, { from: 'server', bytes: upgradeResponse() },
    frame('client', 3, utf8('reserved')), { from: 'server', bytes: buildFrame({ opcode: 1, payload: Uint8Array.from([0xc3, 0x28]), mask: KEY }) },
    frame('client', 8, Uint8Array.from([0x03, 0xed])), frame('client', 1, utf8('after close')),
  ]);
  const cut = frame('server', 2, new Uint8Array(5000).fill(7));
  sessions.push([
    { from: 'client', bytes: upgradeRequest() }, { from: 'server', bytes: upgradeResponse() },
    frame('client', 1, utf8('last words')), { from: 'server', bytes: cut.bytes.subarray(0, 3000) },
  ]);
  sessions.push([{ from: 'client', bytes: utf8('GET / HTTP/1.1\r\nHost: x\r\n\r\n') }, { from: 'server', bytes: utf8('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') }]);
  const packets: RawPacket[] = [];
  sessions.forEach((s, k) => {
    const client = { ip: `10.9.1.${k + 1}`, port: 40000 + k };
    // 1 ms apart within a connection, connections offset by 0.3 ms: their packets interleave.
    packets.push(...packetsOf(tcpSession(s, { mss: 700 }), client, SERVER, 'ethernet', 1_700_000_000 + k * 0.0003));
  });
  packets.sort((a, b) => a.time - b.time);
  return writePcap(LINK_TYPES.ethernet, packets);
}

const row = (f: InspectedFrame) => [f.connection, f.direction, f.offset, f.opcode, f.payloadLength, f.time, f.packet, f.preview, f.problems.map((p) => p.code).join()];

describe('inspector fast paths', () => {
  const bytes = capture();

  it('onFrames hands over the report\'s frames; frameOrder restores its order', async () => {
    const report = await detectAndInspect(bytes, { inflate: zlibInflater(), detail: 'summary' });
    expect(report.frames.length).toBeGreaterThan(700);
    const seen: InspectedFrame[] = [];
    let calls = 0;
    const streamed = await detectAndInspect(bytes, {
      inflate: zlibInflater(), detail: 'summary',
      onFrames: (frames, context) => {
        calls++;
        expect(context.connections).toBe(5);
        expect(context.startTime).toBe(report.startTime);
        seen.push(...frames);
      },
    });
    expect(calls).toBeGreaterThan(5); // the long connection comes in several batches
    expect(streamed.frames).toEqual([]);
    expect(streamed.connections).toEqual(report.connections);
    expect(streamed.problems).toEqual(report.problems);
    expect(streamed.notes).toEqual(report.notes);
    const order = frameOrder(seen.map((f) => f.time ?? 0), seen.map((f) => f.packet ?? 0), seen.map((f) => f.connection));
    expect(order.map((i) => row(seen[i]))).toEqual(report.frames.map(row));
    // The capture holds every kind of row: compressed, fragmented, problems, truncated.
    expect(report.frames.some((f) => f.message?.inflated)).toBe(true);
    // The frame the capture cut off has the time its side last sent: it is not shown first.
    const cut = report.frames.find((f) => f.truncated);
    expect(cut?.time).toBeGreaterThan(report.startTime ?? Infinity);
    expect(cut?.packet).toBeGreaterThan(0);
    expect(cut?.index).toBeGreaterThan(1);
    expect(report.frames.some((f) => f.problems.length > 0)).toBe(true);
    expect(report.frames.some((f) => f.preview.startsWith('msgpack '))).toBe(true);
  });

  it.each([[[]], [['--hex']]])('the CLI table equals formatTable of the whole report %j', async (extra) => {
    const dir = mkdtempSync(join(tmpdir(), 'wsframe-fast-'));
    const file = join(dir, 'mixed.pcap');
    writeFileSync(file, bytes);
    const out: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(`ERR ${t}`), readStdin: async () => new Uint8Array(0) };
    const code = await runInspect([file, ...extra], io);
    const hex = extra.includes('--hex');
    const report = await detectAndInspect(bytes, { inflate: zlibInflater(), detail: 'summary', hexBytes: hex ? 256 : 32 });
    expect(code).toBe(1); // the capture has problems
    expect(out.join('\n')).toBe(formatTable(report, { hex }));
  });
});

describe('ConnectionInspector calls that overlap', () => {
  it('finish and flush wait for an inflation under way (a slow inflater), however they are called', async () => {
    const slow = (raw: Uint8Array): Promise<Uint8Array> => new Promise((resolve) => setTimeout(() => resolve(zlibInflater()(raw) as Uint8Array), 5));
    for (const end of ['finish', 'flush'] as const) {
      const s = new StreamInspector({ role: 'server', deflate: true, inflate: slow });
      const fed = s.feed(buildFrame({ opcode: 1, payload: deflated('slow inflation '.repeat(20)), rsv1: true }));
      for (let i = 0; i < 5; i++) await null; // the inflation has begun (its queue taken), not ended
      if (end === 'flush') await s.flush();
      const frames = end === 'finish' ? (await s.finish()).frames : s.frames;
      expect(frames[0].message?.text, end).toBe('slow inflation '.repeat(20));
      expect((await fed)[0].message?.inflated).toBe(true);
    }
  });

  it('each push resolves to the frames its own bytes made, compressed or not, not awaited in between', async () => {
    const inspector = new ConnectionInspector(1, { inflate: zlibInflater() });
    const ext = 'permessage-deflate';
    await inspector.push('client', upgradeRequest(ext));
    await inspector.push('server', upgradeResponse(ext));
    const sent = [
      buildFrame({ opcode: 1, payload: deflated('first compressed '.repeat(30)), rsv1: true, mask: KEY }),
      buildFrame({ opcode: 9, payload: utf8('ping'), mask: KEY }),
      buildFrame({ opcode: 1, payload: deflated('second compressed '.repeat(30)), rsv1: true, mask: KEY }),
      buildFrame({ opcode: 2, payload: Uint8Array.from([1, 2, 3]), mask: KEY }),
    ];
    const results = await Promise.all(sent.map((bytes) => inspector.push('client', bytes)));
    expect(results.map((r) => r.map((f) => f.opcode))).toEqual([[1], [9], [1], [2]]);
    expect(results[0][0].message?.text).toBe('first compressed '.repeat(30));
    expect(results[2][0].message?.text).toBe('second compressed '.repeat(30));
    expect(results.flat()).toEqual(inspector.frames);
  });
});

describe('the CLI on several threads', () => {
  // Worker threads run the built module: bundle src/inspect/cli.ts as scripts/build-cli.mjs does.
  const dir = mkdtempSync(join(tmpdir(), 'wsframe-threads-'));
  const bundle = join(dir, 'inspect-cli.mjs');
  const entry = join(dir, 'run.mjs');
  const file = join(dir, 'mixed.pcap');
  const run = (threads: number): { code: number | null; out: string; err: string } => {
    const r = spawnSync(process.execPath, [entry, file, '--threads', String(threads)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('splits connections between threads and prints the same table as one thread', async () => {
    await build({ entryPoints: [fileURLToPath(new URL('../src/inspect/cli.ts', import.meta.url))], outfile: bundle, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error' });
    writeFileSync(entry, `import { runInspect } from './inspect-cli.mjs';\nprocess.exitCode = await runInspect(process.argv.slice(2));\n`);
    writeFileSync(file, capture());
    const one = run(1);
    expect(one.err).toBe('');
    expect(one.code).toBe(1); // the capture has problems
    expect(one.out).toMatch(/frames, \d+ problems \(pcap\)\n$/);
    for (const threads of [2, 3, 5]) {
      const many = run(threads);
      expect(many.err).toBe('');
      expect(many.code).toBe(1);
      expect(many.out).toBe(one.out);
    }
  }, 60_000);
});

describe('the table\'s time column', () => {
  it('writeTime writes toFixed(6) right-aligned in 11 columns: capture times, ties at half a microsecond, large, negative, odd values', () => {
    const rng = new Rng('write-time');
    const values: number[] = [0, -0, 1e-7, 5e-7, 4.999999e-7, 0.0000005, 0.0000015, 0.0000025, 123.4567895, 999999.9999995, 1e6, 1e6 - 1e-7, 12345.678901, -1.5, -0.0000004, NaN, Infinity, 1e21, 2 ** 53];
    for (let i = 0; i < 20000; i++) {
      const kind = rng.int(5);
      const start = 1_700_000_000 + rng.int(1000);
      if (kind === 0) values.push(start + rng.int(1_000_000) / 1e6 + rng.int(1000) - start); // pcap: seconds + microseconds, relative
      else if (kind === 1) values.push((start + rng.int(1e9) / 1e9) - start); // pcapng, nanoseconds
      else if (kind === 2) values.push((rng.int(2e9) + 0.5) / 1e6); // exactly between two microseconds (as far as a double goes)
      else if (kind === 3) values.push(rng.float() * 10 ** rng.range(-8, 8));
      else values.push(-rng.float() * 100);
    }
    const out = new Uint8Array(64);
    for (const x of values) {
      const end = writeTime(out, 0, x);
      expect(new TextDecoder().decode(out.subarray(0, end)), String(x)).toBe(x.toFixed(6).padStart(11));
      expect(fixed6(x), String(x)).toBe(x.toFixed(6));
    }
  });
});

describe('text previews', () => {
  it('a fragmented binary message\'s last frame previews the whole message, its first frame its own bytes', async () => {
    const s = new StreamInspector({ role: 'server' });
    s.write(buildFrame({ opcode: 2, payload: Uint8Array.from([1, 2, 3, 4]), fin: false }));
    s.write(buildFrame({ opcode: 0, payload: Uint8Array.from([5, 6]) }));
    s.write(buildFrame({ opcode: 2, payload: utf8('plain ascii binary'), fin: false }));
    s.write(buildFrame({ opcode: 0, payload: utf8(' and more') }));
    s.write(buildFrame({ opcode: 2, payload: utf8('one frame') }));
    const r = await s.finish();
    expect(r.frames.map((f) => f.preview)).toEqual([
      '0x 01 02 03 04', '[2 frames] 0x 01 02 03 04 05 06', 'plain ascii binary', '[2 frames] plain ascii binary and more', 'one frame',
    ]);
  });

  it('textPreview is printable(decodeText(first 4 × max bytes), max) on ASCII, controls, UTF-8, broken UTF-8, a BOM', () => {
    const rng = new Rng('preview');
    const slow = (b: Uint8Array, max: number): string => printable(new TextDecoder().decode(b.subarray(0, 4 * max)), max);
    const pieces = [[0x41], [0x20], [0x7e], [0x7f], [0x1f], [0x0a], [0x09], [0xc3, 0xa9], [0xe2, 0x80, 0xa8], [0xf0, 0x9f, 0x98, 0x80], [0xc3], [0xff], [0xef, 0xbb, 0xbf]];
    let fast = 0;
    for (let t = 0; t < 3000; t++) {
      const max = rng.pick([1, 2, 5, 60]);
      // Mostly printable ASCII (the fast path), sometimes one other piece somewhere.
      const bytes: number[] = [];
      const n = rng.int(3 * max + 3);
      for (let i = 0; i < n; i++) bytes.push(...(rng.int(8) === 0 ? rng.pick(pieces) : [0x20 + rng.int(95)]));
      const b = Uint8Array.from(bytes);
      if (b.subarray(0, max).every((x) => x >= 0x20 && x <= 0x7e)) fast++;
      expect(textPreview(b, max), JSON.stringify(bytes)).toBe(slow(b, max));
    }
    expect(fast).toBeGreaterThan(300); // both paths were taken
    expect(fast).toBeLessThan(2700);
  });
});

describe('structure checks before the decoders', () => {
  const rng = new Rng('shape');
  const values = (): unknown[] => {
    const out: unknown[] = [null, true, false, 0, -1, 127, 128, -33, 65535, 2 ** 32, -(2 ** 31) - 1, 1.5, -0.25, '', 'é', 'x'.repeat(40),
      'y'.repeat(300), 'z'.repeat(70000), new Uint8Array(0), new Uint8Array(300), [], {}, [1, [2, [3, [4]]]], { a: { b: { c: [] } } }];
    for (let i = 0; i < 300; i++) {
      const depth = rng.int(4);
      const make = (d: number): unknown => {
        const k = rng.int(d > 0 ? 7 : 5);
        if (k === 0) return rng.int(2 ** 31) * (rng.bool() ? 1 : -1);
        if (k === 1) return rng.float() * 1e6;
        if (k === 2) return 'w'.repeat(rng.int(300));
        if (k === 3) return rng.bytes(rng.int(300));
        if (k === 4) return rng.bool();
        if (k === 5) return Array.from({ length: rng.int(20) }, () => make(d - 1));
        return Object.fromEntries(Array.from({ length: rng.int(20) }, (_, j) => [`k${j}`, make(d - 1)]));
      };
      out.push(make(depth));
    }
    return out;
  };

  it('every encoded value measures exactly its length; one byte more or less does not', () => {
    for (const v of values()) {
      for (const [end, enc] of [[msgpackEnd, encodeMsgpack(v)], [cborEnd, encodeCbor(v)]] as const) {
        expect(end(enc)).toBe(enc.length);
        expect(end(enc.subarray(0, enc.length - 1))).not.toBe(enc.length - 1);
        const longer = new Uint8Array(enc.length + 1);
        longer.set(enc);
        expect(end(longer)).toBe(enc.length);
      }
    }
  });

  it('never refuses bytes the decoder reads (random and mutated inputs)', () => {
    const encoded = values().flatMap((v) => [encodeMsgpack(v), encodeCbor(v)]);
    let msgpackRead = 0;
    let cborRead = 0;
    for (let i = 0; i < 20000; i++) {
      let b: Uint8Array;
      if (i % 2 === 0) {
        b = rng.bytes(1 + rng.int(24));
      } else {
        // An encoding with a few bytes changed: mostly near-misses of a valid value.
        const e = encoded[rng.int(encoded.length)];
        b = Uint8Array.from(e.subarray(0, Math.min(e.length, 64)));
        for (let k = rng.int(3); k >= 0; k--) b[rng.int(b.length)] = rng.int(256);
      }
      let readable = true;
      try { decodeMsgpack(b); } catch { readable = false; }
      if (readable) { msgpackRead++; expect(msgpackEnd(b), `msgpack ${Buffer.from(b).toString('hex')}`).toBe(b.length); }
      readable = true;
      try { decodeCbor(b); } catch { readable = false; }
      if (readable) { cborRead++; expect(cborEnd(b), `cbor ${Buffer.from(b).toString('hex')}`).toBe(b.length); }
    }
    // The inputs did reach the decoders' success paths, many times over.
    expect(msgpackRead).toBeGreaterThan(500);
    expect(cborRead).toBeGreaterThan(500);
  });

  it('jsonShaped is true for every JSON object or array, whitespace around', () => {
    for (const v of values()) {
      const text = JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? [...x] : x));
      if (text === undefined) continue;
      const shaped = jsonShaped(utf8(` \n${text}\t `));
      expect(shaped).toBe(text.startsWith('{') || text.startsWith('['));
    }
    expect(jsonShaped(utf8('{"a":1'))).toBe(false);
    expect(jsonShaped(utf8('['))).toBe(false);
  });
});
