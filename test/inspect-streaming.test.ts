// Reading a capture as it streams past gives the report that reading it whole gives:
//   - StreamInspector with transient chunks (each chunk overwritten as soon as `write`
//     returns) frames a random stream exactly as it does with chunks it may keep;
//   - inspectCaptureStream, fed the file in random read sizes, gives inspectCapture's report
//     on every capture the capture tests write (links, pcapng sections, reordering,
//     retransmission, deflate, connections that are not WebSocket, many interleaved
//     connections), and gives up (undefined) exactly where it cannot promise that;
//   - the CLI's table from a file (streamed) is the table from standard input (read whole).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, constants } from 'node:zlib';
import { StreamInspector } from '../src/inspect/stream.js';
import { inspectCapture } from '../src/inspect/capture/session.js';
import { inspectCaptureStream } from '../src/inspect/capture/streaming.js';
import { zlibInflater } from '../src/inspect/inflate-node.js';
import { formatJson } from '../src/inspect/table.js';
import { runInspect, type CliIo } from '../src/inspect/cli.js';
import type { InspectedFrame, InspectionReport, InspectOptions, StreamResult } from '../src/inspect/types.js';
import { plainFrame } from '../src/inspect/frame.js';
import {
  buildFrame, concatBytes, LINK_TYPES, packetsOf, tcpSession, upgradeRequest, upgradeResponse, utf8,
  writePcap, writePcapng, type Link, type RawPacket, type SessionStep, type Segmented,
} from './inspect-support.js';
import { Rng } from './reference/random.js';

const KEY = [0x37, 0xfa, 0x21, 0x3d];
const SERVER = { ip: '10.0.0.2', port: 8080 };

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const replacer = (_k: string, v: unknown): unknown => (v instanceof Uint8Array ? hex(v) : v);

/** Everything a report says, bytes as hex. */
function reportText(r: InspectionReport): string {
  return [...formatJson(r, 1 << 24)].join('\n');
}

function frameText(frames: readonly InspectedFrame[]): string {
  return JSON.stringify(frames.map((f) => plainFrame(f)), replacer);
}

function deflated(text: string): Uint8Array {
  const b = deflateRawSync(utf8(text), { finishFlush: constants.Z_SYNC_FLUSH });
  return b.subarray(0, b.length - 4);
}

/** Random frames one side sends: every opcode, fragmented text cut inside characters, bad bytes, big lengths. */
function randomFrames(rng: Rng, masked: boolean, count: number, deflate: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  const mask = masked ? KEY : null;
  for (let i = 0; i < count; i++) {
    const kind = rng.int(10);
    if (kind < 3) {
      // Text, possibly fragmented, its characters split between fragments.
      const text = utf8('héllo wörld ✓ 😀 '.repeat(rng.range(0, 40)));
      const cuts = rng.cuts(text.length, rng.range(0, 3));
      let at = 0;
      [...cuts, text.length].forEach((end, k, all) => {
        out.push(buildFrame({ opcode: k === 0 ? 1 : 0, payload: text.subarray(at, end), fin: k === all.length - 1, mask }));
        at = end;
      });
    } else if (kind < 5) {
      const n = rng.pick([0, 1, 125, 126, 127, 1000, 65535, 65536, 70000, 200000]);
      out.push(buildFrame({ opcode: 2, payload: rng.bytes(n), mask }));
    } else if (kind === 5) {
      out.push(buildFrame({ opcode: rng.pick([9, 10]), payload: rng.bytes(rng.int(126)), mask }));
    } else if (kind === 6) {
      out.push(buildFrame({ opcode: 1, payload: Uint8Array.from([0x61, 0xc3, 0x28, 0x62]), mask })); // invalid UTF-8
    } else if (kind === 7) {
      out.push(buildFrame({ opcode: rng.pick([3, 11]), payload: rng.bytes(rng.int(40)), mask, rsv2: rng.bool() })); // reserved
    } else if (kind === 8 && deflate) {
      out.push(buildFrame({ opcode: 1, rsv1: true, payload: deflated(`compressed ${i} `.repeat(rng.range(1, 300))), mask }));
    } else {
      out.push(buildFrame({ opcode: 1, payload: utf8(JSON.stringify({ i, list: [1, 2, 3] })), mask, form: rng.pick([7, 16, 64]) }));
    }
  }
  return out;
}

/** Feeds `bytes` in random chunks; with `transient`, each chunk lives in one buffer that is scribbled over after each write. */
async function inspectChunks(bytes: Uint8Array, rng: Rng, options: InspectOptions): Promise<StreamResult> {
  const inspector = new StreamInspector(options);
  const scratch = new Uint8Array(bytes.length + 1);
  let at = 0;
  let time = 0;
  while (at < bytes.length) {
    const n = Math.min(bytes.length - at, rng.pick([1, 2, 3, 7, 14, 100, 1448, 5000, 70000]));
    let chunk = bytes.subarray(at, at + n);
    if (options.transient) { scratch.set(chunk); chunk = scratch.subarray(0, n); }
    if (inspector.write(chunk, ++time)) await inspector.flush();
    if (options.transient) scratch.fill(0xee);
    at += n;
  }
  return inspector.finish(time);
}

describe('StreamInspector with transient chunks', () => {
  it('frames random streams as it does when it may keep the chunks', async () => {
    const rng = new Rng('inspect-transient');
    for (let round = 0; round < 30; round++) {
      const masked = rng.bool();
      const deflate = rng.bool(0.3);
      let bytes = concatBytes(randomFrames(rng, masked, rng.range(1, 25), deflate));
      // Sometimes the stream ends inside a frame (a truncated capture).
      if (rng.bool(0.3)) bytes = bytes.subarray(0, rng.int(bytes.length));
      const options: InspectOptions = { role: masked ? 'client' : 'server', deflate, inflate: zlibInflater() };
      // The same chunks both times (a frame's time is that of the chunk that completed it).
      const kept = await inspectChunks(bytes, new Rng(`chunks-${round}`), options);
      const transient = await inspectChunks(bytes, new Rng(`chunks-${round}`), { ...options, transient: true });
      expect(frameText(transient.frames), rng.note).toBe(frameText(kept.frames));
      expect(JSON.stringify(transient.problems), rng.note).toBe(JSON.stringify(kept.problems));
      expect(transient.lost, rng.note).toEqual(kept.lost);
      expect(kept.frames.length, rng.note).toBeGreaterThan(0);
    }
  });

  it('does not trust a declared length with memory: a 2^40-byte frame cut short is reported, not allocated', async () => {
    const head = Uint8Array.from([0x82, 127, 0, 0, 1, 0, 0, 0, 0, 0]);
    const bytes = concatBytes([buildFrame({ opcode: 1, payload: utf8('before') }), head, new Uint8Array(100_000).fill(7)]);
    const r = await inspectChunks(bytes, new Rng('huge'), { role: 'server', transient: true });
    expect(r.frames.map((f) => [f.opcode, f.payloadLength, f.truncated])).toEqual([[1, 6, false], [2, 2 ** 40, true]]);
    expect(r.frames[1].payload.length).toBe(100_000);
    expect(r.frames[1].problems.map((p) => p.code)).toEqual(['WS_ERR_TRUNCATED']);
  });
});

/**
 * A reader of `bytes` that returns random amounts (at most `max`) per call, at once or (about
 * half the time) through a promise that resolves a macrotask later, as a file read does.
 */
function readerOf(bytes: Uint8Array, rng: Rng, max: number): (buffer: Uint8Array, offset: number, length: number) => number | Promise<number> {
  let position = 0;
  return (buffer, offset, length) => {
    const n = Math.min(length, bytes.length - position, rng.range(1, max));
    const at = position;
    position += n;
    if (rng.int(2) === 0) {
      buffer.set(bytes.subarray(at, at + n), offset);
      return n;
    }
    return new Promise((resolve) => setImmediate(() => { buffer.set(bytes.subarray(at, at + n), offset); resolve(n); }));
  };
}

async function both(file: Uint8Array, rng: Rng, o: { readBytes?: number; maxRead?: number } = {}): Promise<{ whole: InspectionReport; streamed: InspectionReport | undefined }> {
  const options = { inflate: zlibInflater() };
  const whole = await inspectCapture(file, options);
  const streamed = await inspectCaptureStream(readerOf(file, rng, o.maxRead ?? 5000), { ...options, readBytes: o.readBytes ?? 4096 });
  return { whole, streamed };
}

function steps(from: 'client' | 'server', frames: readonly Uint8Array[]): SessionStep[] {
  return frames.map((bytes) => ({ from, bytes }));
}

function session(rng: Rng, deflate = false): SessionStep[] {
  const ext = deflate ? 'permessage-deflate; client_no_context_takeover' : undefined;
  const out: SessionStep[] = [{ from: 'client', bytes: upgradeRequest(ext) }, { from: 'server', bytes: upgradeResponse(ext) }];
  for (let i = 0; i < rng.range(1, 6); i++) {
    out.push(...steps('client', randomFrames(rng, true, rng.range(1, 3), deflate)));
    out.push(...steps('server', randomFrames(rng, false, rng.range(1, 3), deflate)));
  }
  return out;
}

/** Several connections' packets interleaved in time (each one's own order kept). */
function interleave(rng: Rng, sessions: Segmented[][], link: Link): RawPacket[] {
  const queues = sessions.map((segs, k) => packetsOf(segs, { ip: `10.0.${k >> 8}.${(k & 255) + 1}`, port: 40000 + k }, SERVER, link));
  const out: RawPacket[] = [];
  let t = 1_700_000_000;
  while (queues.some((q) => q.length > 0)) {
    const q = rng.pick(queues.filter((x) => x.length > 0));
    out.push({ ...q.shift()!, time: (t += 0.0001) });
  }
  return out;
}

describe('inspectCaptureStream', () => {
  it('gives inspectCapture\'s report for many interleaved connections, read in random pieces', async () => {
    const rng = new Rng('inspect-streamed-captures');
    let streamedFrames = 0;
    for (let round = 0; round < 12; round++) {
      const link = rng.pick(['ethernet', 'sll', 'sll2', 'null', 'raw'] as Link[]);
      const sessions = Array.from({ length: rng.range(1, 6) }, () => tcpSession(session(rng, rng.bool(0.3)), { mss: rng.range(20, 1460), isn: [rng.int(2 ** 32), rng.int(2 ** 32)] }));
      const packets = interleave(rng, sessions, link);
      const file = rng.bool() ? writePcap(LINK_TYPES[link], packets, { le: rng.bool(), nano: rng.bool() })
        : writePcapng([{ linkType: LINK_TYPES[link], tsresol: rng.pick([6, 9]) }], packets.map((p) => ({ ...p, iface: 0 })), { le: rng.bool() });
      const { whole, streamed } = await both(file, rng, { readBytes: rng.pick([64, 1000, 4096, 100_000]), maxRead: rng.pick([1, 100, 5000, 1 << 20]) });
      expect(streamed, rng.note).toBeDefined();
      expect(reportText(streamed!), rng.note).toBe(reportText(whole));
      streamedFrames += streamed!.frames.length;
    }
    expect(streamedFrames).toBeGreaterThan(100);
  });

  it('hands each frame to onFrames intact (its bytes are reused only after the call): the report\'s frames, in frameOrder', async () => {
    const rng = new Rng('inspect-streamed-sink');
    for (let round = 0; round < 8; round++) {
      const sessions = Array.from({ length: rng.range(2, 5) }, () => tcpSession(session(rng, rng.bool(0.3)), { mss: rng.range(40, 1460) }));
      const file = writePcap(1, interleave(rng, sessions, 'ethernet'));
      const whole = await inspectCapture(file, { inflate: zlibInflater() });
      const seen: string[] = [];
      const keys: Array<[number, number, number]> = [];
      const streamed = await inspectCaptureStream(readerOf(file, rng, 3000), {
        inflate: zlibInflater(), readBytes: rng.pick([512, 4096, 65536]),
        onFrames: (frames) => {
          for (const f of frames) {
            seen.push(frameText([f])); // everything, bytes included, while the frame is lent
            keys.push([f.time ?? 0, f.packet ?? 0, f.connection]);
          }
        },
      });
      expect(streamed, rng.note).toBeDefined();
      expect(streamed!.frames).toEqual([]);
      const { frameOrder } = await import('../src/inspect/capture/session.js');
      const order = frameOrder(keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2]));
      const unnumbered = (text: string): string => text.replace(/"index":\d+,/, '');
      expect(order.map((i) => unnumbered(seen[i])), rng.note).toEqual(whole.frames.map((f) => unnumbered(frameText([f]))));
    }
  });

  it('reorders, drops retransmitted and overlapping segments as the whole-file reading does', async () => {
    const rng = new Rng('inspect-streamed-reorder');
    for (let round = 0; round < 20; round++) {
      const segs = tcpSession(session(rng), { mss: rng.range(50, 700), isn: [0xfffffff0, 0x7ffffff0] }); // sequence numbers wrap
      const data = segs.slice(3, -2);
      for (let i = 0; i < 5; i++) {
        const s = rng.pick(data);
        const cut = rng.int(s.payload.length);
        data.push(rng.bool() ? { ...s } : { ...s, seq: (s.seq + cut) >>> 0, payload: s.payload.subarray(cut) });
      }
      for (let i = 0; i < 6; i++) { const a = rng.int(data.length); const b = Math.min(data.length - 1, a + rng.range(1, 4)); [data[a], data[b]] = [data[b], data[a]]; }
      const file = writePcap(1, packetsOf([...segs.slice(0, 3), ...data, ...segs.slice(-2)], { ip: '10.0.0.1', port: 51000 }, SERVER, 'ethernet'));
      const { whole, streamed } = await both(file, rng);
      expect(streamed, rng.note).toBeDefined();
      expect(reportText(streamed!), rng.note).toBe(reportText(whole));
      expect(whole.connections[0].retransmitted, rng.note).toBeGreaterThanOrEqual(5);
    }
  });

  it('lists connections that are not WebSocket, a refused upgrade, a truncated file and packets that are not TCP, as the whole-file reading does', async () => {
    const rng = new Rng('inspect-streamed-other');
    const http = tcpSession([{ from: 'client', bytes: utf8('GET / HTTP/1.1\r\nHost: x\r\n\r\n') }, { from: 'server', bytes: new Uint8Array(200_000).fill(0x41) }]);
    const refused = tcpSession([{ from: 'client', bytes: upgradeRequest() }, { from: 'server', bytes: utf8('HTTP/1.1 403 Forbidden\r\n\r\n') }]);
    const ws = tcpSession(session(rng), { mss: 300 });
    const packets = interleave(rng, [http, refused, ws], 'ethernet');
    packets.splice(5, 0, { time: packets[4].time, data: Uint8Array.from([...new Uint8Array(12), 0x08, 0x06, ...new Uint8Array(28)]) }); // ARP
    const file = writePcap(1, packets);
    for (const cut of [file.length, file.length - 7]) {
      const { whole, streamed } = await both(file.subarray(0, cut), rng);
      expect(streamed).toBeDefined();
      expect(reportText(streamed!)).toBe(reportText(whole));
      expect(whole.connections.map((c) => c.websocket).sort()).toEqual([false, false, true]);
    }
  });

  it('gives up (undefined) where streaming could differ: no SYN, a gap, times going back, too much held', async () => {
    const rng = new Rng('inspect-streamed-give-up');
    const client = { ip: '10.0.0.1', port: 51000 };
    const segs = tcpSession(session(rng), { mss: 200 });
    const pcap = (s: Segmented[], t?: (p: RawPacket, i: number) => RawPacket): Uint8Array =>
      writePcap(1, packetsOf(s, client, SERVER, 'ethernet').map((p, i) => (t ? t(p, i) : p)));
    const read = (file: Uint8Array, maxHeld?: number): Promise<InspectionReport | undefined> =>
      inspectCaptureStream(readerOf(file, rng, 3000), { readBytes: 2048, ...(maxHeld ? { maxHeld } : {}) });
    expect(await read(pcap(segs))).toBeDefined();
    expect(await read(pcap(segs.slice(2)))).toBeUndefined(); // mid-stream: no SYN
    const i = segs.findIndex((s, k) => k > 5 && s.payload.length > 0);
    expect(await read(pcap([...segs.slice(0, i), ...segs.slice(i + 1)]))).toBeUndefined(); // a gap never filled
    expect(await read(pcap(segs, (p, k) => (k === 7 ? { ...p, time: p.time - 1 } : p)))).toBeUndefined(); // time goes back
    expect(await read(pcap(segs), 100)).toBeUndefined(); // more than 100 bytes held (the handshake alone is more)
  });

  it('on mangled captures (bytes flipped, cut short, packets swapped or repeated) gives the whole-file report or gives up; never throws', async () => {
    const rng = new Rng('inspect-streamed-mangled');
    let streamedRounds = 0;
    for (let round = 0; round < 80; round++) {
      const sessions = Array.from({ length: rng.range(1, 3) }, () => tcpSession(session(rng, rng.bool(0.3)), { mss: rng.range(20, 1460), isn: [rng.int(2 ** 32), rng.int(2 ** 32)] }));
      const packets = interleave(rng, sessions, 'ethernet');
      for (let i = rng.int(4); i > 0; i--) {
        const a = rng.int(packets.length - 1);
        [packets[a], packets[a + 1]] = [{ ...packets[a + 1], time: packets[a].time }, { ...packets[a], time: packets[a + 1].time }];
      }
      if (rng.bool(0.3)) { const i = rng.int(packets.length); packets.splice(i + 1, 0, { ...packets[i] }); }
      let file = Uint8Array.from(rng.bool() ? writePcap(1, packets) : writePcapng([{ linkType: 1, tsresol: 6 }], packets.map((p) => ({ ...p, iface: 0 }))));
      for (let i = rng.int(6); i > 0; i--) file[rng.int(file.length)] = rng.int(256);
      if (rng.bool(0.2)) file = file.subarray(0, rng.int(file.length));
      const { whole, streamed } = await both(file, rng, { readBytes: rng.pick([64, 512, 4096]), maxRead: rng.pick([700, 5000, 1 << 20]) });
      if (streamed === undefined) continue;
      streamedRounds++;
      expect(reportText(streamed), rng.note).toBe(reportText(whole));
    }
    expect(streamedRounds).toBeGreaterThan(40);
  });

  it('gives up when a SYN with another initial sequence number comes after data (the whole-file reading moves every byte by it)', async () => {
    const rng = new Rng('inspect-streamed-second-syn');
    const segs = tcpSession(session(rng), { mss: 300, isn: [1000, 50000] });
    const packets = packetsOf(segs, { ip: '10.0.0.1', port: 51000 }, SERVER, 'ethernet');
    expect(await inspectCaptureStream(readerOf(writePcap(1, packets), rng, 2000))).toBeDefined();
    for (const at of [Math.floor(packets.length / 2), packets.length - 1]) {
      const mangled = packets.map((p) => ({ ...p, data: Uint8Array.from(p.data) }));
      const p = mangled[at];
      // The TCP header of an Ethernet/IPv4 packet starts at byte 34: sequence number at +4, flags at +13.
      new DataView(p.data.buffer, p.data.byteOffset).setUint32(34 + 4, 0x12345678);
      p.data[34 + 13] |= 0x12; // SYN, ACK
      const file = writePcap(1, mangled);
      const whole = await inspectCapture(file);
      expect(whole.connections).toHaveLength(1);
      expect(await inspectCaptureStream(readerOf(file, rng, 2000))).toBeUndefined();
    }
  });

  it('rejects with the error of a read that fails, at once or later; a stop leaves no read running', async () => {
    const rng = new Rng('inspect-streamed-read-error');
    const file = writePcap(1, interleave(rng, [tcpSession(session(rng), { mss: 300 })], 'ethernet'));
    for (const later of [false, true]) {
      const inner = readerOf(file, rng, 500);
      let calls = 0;
      const failing = (buffer: Uint8Array, offset: number, length: number): number | Promise<number> => {
        if (++calls < 4) return inner(buffer, offset, length);
        const error = new Error('EIO: the disk went away');
        if (!later) throw error;
        return new Promise((_, reject) => setImmediate(() => reject(error)));
      };
      await expect(inspectCaptureStream(failing, { readBytes: 256 })).rejects.toThrow('EIO: the disk went away');
    }
    // Streaming gives up (no SYN) while the next read runs: it is waited for before the promise settles.
    const midStream = writePcap(1, packetsOf(tcpSession(session(rng), { mss: 300 }).slice(2), { ip: '10.0.0.2', port: 51001 }, SERVER, 'ethernet'));
    let running = 0;
    const slow = readerOf(midStream, rng, 1 << 20);
    const tracked = (buffer: Uint8Array, offset: number, length: number): Promise<number> => {
      running++;
      return new Promise<void>((resolve) => setTimeout(resolve, 5)).then(() => slow(buffer, offset, length)).then((n) => { running--; return n; });
    };
    expect(await inspectCaptureStream(tracked, { readBytes: 512 })).toBeUndefined();
    expect(running).toBe(0);
  });
});

describe('wsframe inspect reads a capture file as it decodes it', () => {
  it('prints the table (and exit code) it prints for the same bytes from standard input', async () => {
    const rng = new Rng('inspect-streamed-cli');
    const dir = mkdtempSync(join(tmpdir(), 'wsframe-stream-'));
    for (let round = 0; round < 4; round++) {
      const sessions = Array.from({ length: round + 1 }, () => tcpSession(session(rng, round === 3), { mss: rng.range(100, 1460) }));
      const file = writePcap(1, interleave(rng, sessions, 'ethernet'));
      const path = join(dir, `c${round}.pcap`);
      writeFileSync(path, file);
      expect(await inspectCaptureStream(readerOf(file, rng, 1 << 20))).toBeDefined(); // this file is streamed, not read whole
      const run = async (args: string[]): Promise<{ code: number; out: string }> => {
        let out = '';
        const io: CliIo = { stdout: (t) => { out += `${t}\n`; }, stderr: () => undefined, readStdin: async () => file };
        return { code: await runInspect(args, io), out };
      };
      for (const extra of [[], ['--hex']]) {
        const streamed = await run([path, ...extra]);
        const whole = await run(['-', ...extra]);
        expect(streamed.out, rng.note).toBe(whole.out);
        expect(streamed.code, rng.note).toBe(whole.code);
        expect(streamed.out.split('\n').length).toBeGreaterThan(5);
      }
    }
  });
});

describe('frameOrder', () => {
  it('orders by time, packet, connection, then index, whether or not times grow with packet numbers', async () => {
    const { frameOrder } = await import('../src/inspect/capture/session.js');
    const rng = new Rng('frame-order');
    for (let round = 0; round < 200; round++) {
      const n = rng.range(0, 60);
      const monotonic = rng.bool();
      const packet = Array.from({ length: n }, () => rng.pick([0, rng.range(1, 30), rng.range(1, 5), 1e9, 2.5]));
      const time = packet.map((p) => (monotonic ? p / 1000 : rng.pick([0, rng.range(0, 5) / 10])));
      const connection = packet.map(() => rng.range(1, 3));
      const expected = Array.from({ length: n }, (_, i) => i)
        .sort((x, y) => time[x] - time[y] || packet[x] - packet[y] || connection[x] - connection[y] || x - y);
      expect(frameOrder(time, packet, connection), rng.note).toEqual(expected);
    }
  });
});
