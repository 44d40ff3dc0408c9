// Captures the tests write themselves from known sessions: pcap (both byte orders, µs and
// ns) and pcapng (several interfaces and sections, EPB and SPB), over Ethernet, SLL, SLL2,
// null and raw IP, IPv4 and IPv6; TCP reassembly with reordered, retransmitted, overlapping
// and missing segments; captures starting mid-stream; hex, base64 and HAR inputs; the CLI.
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateRawSync, constants } from 'node:zlib';
import { detectAndInspect } from '../src/inspect/detect.js';
import { zlibInflater } from '../src/inspect/inflate-node.js';
import { runInspect } from '../src/inspect/cli.js';
import type { InspectionReport } from '../src/inspect/types.js';
import {
  buildFrame, concatBytes, LINK_TYPES, packetsOf, tcpSession, upgradeRequest, upgradeResponse, utf8,
  writePcap, writePcapng, type Link, type SessionStep, type Segmented,
} from './inspect-support.js';
import { Rng } from './reference/random.js';

const KEY = [1, 2, 3, 4];
const CLIENT = { ip: '10.0.0.1', port: 51000 };
const SERVER = { ip: '10.0.0.2', port: 8080 };
const CLIENT6 = { ip: 'fd00::1', port: 51000 };
const SERVER6 = { ip: 'fd00::2', port: 8080 };

interface Sent { from: 'client' | 'server'; opcode: number; payload: Uint8Array; fin?: boolean }
const SENT: Sent[] = [
  { from: 'client', opcode: 1, payload: utf8('Hello, wsframe!') },
  { from: 'server', opcode: 1, payload: utf8('Hello, wsframe!') },
  { from: 'client', opcode: 2, payload: new Uint8Array(3000).map((_, i) => i & 0xff) },
  { from: 'server', opcode: 2, payload: new Uint8Array(3000).map((_, i) => i & 0xff) },
  { from: 'client', opcode: 9, payload: utf8('ping') },
  { from: 'server', opcode: 10, payload: utf8('ping') },
  { from: 'client', opcode: 8, payload: Uint8Array.from([0x03, 0xe8]) },
  { from: 'server', opcode: 8, payload: Uint8Array.from([0x03, 0xe8]) },
];

function steps(sent: readonly Sent[] = SENT, ext?: string): SessionStep[] {
  return [
    { from: 'client', bytes: upgradeRequest(ext) },
    { from: 'server', bytes: upgradeResponse(ext) },
    ...sent.map((s) => ({ from: s.from, bytes: buildFrame({ opcode: s.opcode, payload: s.payload, fin: s.fin, mask: s.from === 'client' ? KEY : null }) })),
  ];
}

function expectSession(r: InspectionReport, sent: readonly Sent[] = SENT): void {
  expect(r.frames.map((f) => [f.direction, f.opcode, Buffer.from(f.payload).toString('hex')]))
    .toEqual(sent.map((s) => [s.from, s.opcode, Buffer.from(s.payload).toString('hex')]));
  expect(r.frames.flatMap((f) => f.problems)).toEqual([]);
  expect(r.frames.map((f) => f.index)).toEqual(sent.map((_, i) => i + 1));
  const ws = r.connections.filter((c) => c.websocket);
  expect(ws).toHaveLength(1);
  expect(ws[0]).toMatchObject({ how: 'handshake', request: 'GET /echo HTTP/1.1', status: 101 });
}

const pcapOf = (link: Link, segs: Segmented[], v6 = false, o: { le?: boolean; nano?: boolean } = {}): Uint8Array =>
  writePcap(LINK_TYPES[link], packetsOf(segs, v6 ? CLIENT6 : CLIENT, v6 ? SERVER6 : SERVER, link), o);

describe('pcap and pcapng', () => {
  const links: Link[] = ['ethernet', 'sll', 'sll2', 'null', 'raw'];
  it.each(links.flatMap((l) => [[l, false], [l, true]] as const))('pcap over %s (IPv6: %s)', async (link, v6) => {
    const r = await detectAndInspect(pcapOf(link, tcpSession(steps(), { mss: 500 }), v6));
    expect(r.format).toBe('pcap');
    expectSession(r);
    expect(r.connections[0].client).toBe(v6 ? '[fd00::1]:51000' : '10.0.0.1:51000');
  });

  it.each([[true, false], [false, false], [true, true], [false, true]])('pcap little-endian %s, nanoseconds %s: times and packet numbers', async (le, nano) => {
    const r = await detectAndInspect(pcapOf('ethernet', tcpSession(steps()), false, { le, nano }));
    expectSession(r);
    // SYN, SYN-ACK, ACK, request, response: the first frame is packet 6, 5 ms after the first.
    expect(r.frames[0].packet).toBe(6);
    expect(r.frames[0].time! - r.startTime!).toBeCloseTo(0.005, 6);
  });

  it.each([[true], [false]])('pcapng (little-endian %s): two interfaces, ns resolution, SPB', async (le) => {
    const a = packetsOf(tcpSession(steps()), CLIENT, SERVER, 'ethernet');
    const b = packetsOf(tcpSession(steps(), { isn: [7, 9] }), { ip: '10.0.0.3', port: 40000 }, SERVER, 'sll2');
    const packets = [...a.map((p) => ({ ...p, iface: 0 })), ...b.map((p) => ({ ...p, time: p.time + 0.0005, iface: 1 }))]
      .sort((x, y) => x.time - y.time);
    const file = writePcapng([{ linkType: 1 }, { linkType: 276, tsresol: 9 }], packets, { le });
    const r = await detectAndInspect(file);
    expect(r.format).toBe('pcapng');
    expect(r.connections.map((c) => c.client)).toEqual(['10.0.0.1:51000', '10.0.0.3:40000']);
    expect(r.frames).toHaveLength(16);
    expect(r.frames.filter((f) => f.connection === 2).map((f) => f.opcode)).toEqual(SENT.map((s) => s.opcode));
    // SPB: no timestamps, still read.
    const spb = writePcapng([{ linkType: 1 }], a.map((p) => ({ ...p, iface: 0, simple: true })), { le });
    expectSession(await detectAndInspect(spb));
  });

  it('pcapng with two sections of different byte orders', async () => {
    const half = packetsOf(tcpSession(steps()), CLIENT, SERVER, 'raw');
    const first = writePcapng([{ linkType: 101 }], half.slice(0, 7).map((p) => ({ ...p, iface: 0 })), { le: true });
    const second = writePcapng([{ linkType: 101 }], half.slice(7).map((p) => ({ ...p, iface: 0 })), { le: false });
    expectSession(await detectAndInspect(concatBytes([first, second])));
  });

  it('reassembles reordered, retransmitted and overlapping segments (random shuffles)', async () => {
    const rng = new Rng('inspect-reorder');
    for (let round = 0; round < 20; round++) {
      const segs = tcpSession(steps(), { mss: rng.range(50, 700), isn: [0xfffffff0, 0x7ffffff0] }); // sequence numbers wrap
      const data = segs.slice(3, -2);
      // Retransmit some segments whole, some as overlapping halves (same bytes).
      for (let i = 0; i < 5; i++) {
        const s = rng.pick(data);
        const cut = rng.int(s.payload.length);
        data.push(rng.bool() ? { ...s } : { ...s, seq: (s.seq + cut) >>> 0, payload: s.payload.subarray(cut) });
      }
      for (let i = data.length - 1; i > 0; i--) { const j = rng.int(i + 1); [data[i], data[j]] = [data[j], data[i]]; }
      const r = await detectAndInspect(pcapOf('ethernet', [...segs.slice(0, 3), ...data, ...segs.slice(-2)]));
      // Each direction in order (across directions, frames follow the shuffled arrival times).
      for (const side of ['client', 'server'] as const) {
        expect(r.frames.filter((f) => f.direction === side).map((f) => [f.opcode, Buffer.from(f.payload).toString('hex')]), rng.note)
          .toEqual(SENT.filter((s) => s.from === side).map((s) => [s.opcode, Buffer.from(s.payload).toString('hex')]));
      }
      expect(r.connections[0].retransmitted, rng.note).toBeGreaterThanOrEqual(5);
    }
  });

  it('reports a gap and resumes at the next segment', async () => {
    const segs = tcpSession(steps(), { mss: 1000 });
    // Drop the second segment of the client's 3000-byte binary frame.
    const i = segs.findIndex((s) => s.from === 'client' && s.payload.length === 1000);
    const r = await detectAndInspect(pcapOf('ethernet', [...segs.slice(0, i + 1), ...segs.slice(i + 2)]));
    const gap = r.frames.flatMap((f) => f.problems).concat(r.problems).filter((p) => p.code === 'WS_ERR_CAPTURE_GAP');
    expect(gap).toHaveLength(1);
    expect(r.connections[0].gaps).toBe(1);
    expect(r.frames.filter((f) => f.direction === 'server').map((f) => f.opcode)).toEqual([1, 2, 10, 8]);
  });

  it('decodes a capture that starts mid-stream (no SYN, no handshake), roles from the mask bit', async () => {
    const segs = tcpSession(steps(), { handshake: false }).slice(2);
    const r = await detectAndInspect(pcapOf('ethernet', segs));
    expect(r.frames.map((f) => [f.direction, f.opcode])).toEqual(SENT.map((s) => [s.from, s.opcode]));
    expect(r.connections[0].how).toMatch(/mid-stream/);
    expect(r.notes.join('\n')).toMatch(/roles guessed/);
  });

  it('inflates permessage-deflate frames when the capture holds the handshake', async () => {
    const deflate = (s: string): Uint8Array => {
      const b = deflateRawSync(utf8(s), { finishFlush: constants.Z_SYNC_FLUSH });
      return b.subarray(0, b.length - 4);
    };
    const sent: Sent[] = [{ from: 'server', opcode: 1, payload: utf8('compressed hello') }];
    const st = steps([], 'permessage-deflate; server_no_context_takeover');
    st.push({ from: 'server', bytes: buildFrame({ opcode: 1, rsv1: true, payload: deflate('compressed hello') }) });
    const r = await detectAndInspect(pcapOf('ethernet', tcpSession(st)), { inflate: zlibInflater() });
    expect(r.frames[0].message).toMatchObject({ inflated: true, text: 'compressed hello' });
    expect(r.connections[0].deflate).toEqual({ client: { noContextTakeover: false }, server: { noContextTakeover: true } });
    expect(sent).toHaveLength(1);
  });

  it('assumes permessage-deflate in a mid-stream capture whose frames carry RSV1', async () => {
    const b = deflateRawSync(utf8('no handshake, still inflated'), { finishFlush: constants.Z_SYNC_FLUSH });
    const st: SessionStep[] = [
      { from: 'client', bytes: buildFrame({ opcode: 1, rsv1: true, payload: b.subarray(0, b.length - 4), mask: KEY }) },
      { from: 'server', bytes: buildFrame({ opcode: 1, payload: utf8('ok') }) },
    ];
    const r = await detectAndInspect(pcapOf('ethernet', tcpSession(st, { handshake: false })), { inflate: zlibInflater() });
    expect(r.frames[0].message).toMatchObject({ inflated: true, text: 'no handshake, still inflated' });
    expect(r.frames.flatMap((f) => f.problems)).toEqual([]);
    expect(r.notes.join('\n')).toMatch(/permessage-deflate assumed/);
  });

  it('lists a connection that is not WebSocket, and a refused upgrade', async () => {
    const http = tcpSession([{ from: 'client', bytes: utf8('GET / HTTP/1.1\r\nHost: x\r\n\r\n') }, { from: 'server', bytes: utf8('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi') }]);
    const refused = tcpSession([{ from: 'client', bytes: upgradeRequest() }, { from: 'server', bytes: utf8('HTTP/1.1 403 Forbidden\r\n\r\n') }]);
    const p = [...packetsOf(http, CLIENT, SERVER, 'ethernet'), ...packetsOf(refused, { ip: '10.0.0.9', port: 1 }, SERVER, 'ethernet', 1_700_000_001)];
    const r = await detectAndInspect(writePcap(1, p));
    expect(r.frames).toEqual([]);
    expect(r.connections.map((c) => [c.websocket, c.how])).toEqual([[false, 'HTTP without a WebSocket upgrade'], [false, 'upgrade refused: HTTP/1.1 403 Forbidden']]);
  });
});

describe('text inputs', () => {
  const bytes = concatBytes([buildFrame({ opcode: 1, payload: utf8('Hello'), mask: KEY }), buildFrame({ opcode: 8, payload: Uint8Array.from([3, 0xe8, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75]), mask: KEY })]);
  const hex = Buffer.from(bytes).toString('hex');
  const lines = (step: number, fmt: (o: number, chunk: Uint8Array) => string): string => {
    const out: string[] = [];
    for (let o = 0; o < bytes.length; o += step) out.push(fmt(o, bytes.subarray(o, o + step)));
    return out.join('\n');
  };
  const ascii = (c: Uint8Array): string => Array.from(c, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  const pairs = (c: Uint8Array): string[] => Array.from(c, (b) => b.toString(16).padStart(2, '0'));
  const xxd = lines(16, (o, c) => {
    const groups = pairs(c).join('').match(/.{1,4}/g)!.join(' ');
    return `${o.toString(16).padStart(8, '0')}: ${groups.padEnd(39)}  ${ascii(c)}`;
  });
  const hexdumpC = `${lines(16, (o, c) => {
    const p = pairs(c);
    return `${o.toString(16).padStart(8, '0')}  ${`${p.slice(0, 8).join(' ')}  ${p.slice(8).join(' ')}`.padEnd(48)} |${ascii(c)}|`;
  })}\n${bytes.length.toString(16).padStart(8, '0')}\n`;
  const wireshark = lines(16, (o, c) => {
    const p = pairs(c);
    return `${o.toString(16).padStart(4, '0')}   ${`${p.slice(0, 8).join(' ')}  ${p.slice(8).join(' ')}`.padEnd(48)}   ${ascii(c)}`;
  });
  it.each([
    ['xxd', xxd, 'hex'], ['hexdump -C', hexdumpC, 'hex'], ['Wireshark hex dump', wireshark, 'hex'],
    ['bare hex', hex, 'hex'], ['spaced hex', pairs(bytes).join(' '), 'hex'], ['0x list', pairs(bytes).map((p) => `0x${p}`).join(', '), 'hex'],
    ['base64', Buffer.from(bytes).toString('base64'), 'base64'], ['raw binary', bytes, 'binary'],
  ] as const)('%s', async (_name, input, format) => {
    const r = await detectAndInspect(input, { role: 'client' });
    expect(r.format).toBe(format);
    expect(r.frames.map((f) => f.preview)).toEqual(['Hello', '1000 Normal Closure: abcdefghijklmnopqrstu']);
  });

  it('reads a HAR file as messages, clearly marked', async () => {
    const har = JSON.stringify({ log: { entries: [{
      request: { method: 'GET', url: 'ws://127.0.0.1:8080/echo', headers: [] },
      response: { status: 101, headers: [{ name: 'Sec-WebSocket-Extensions', value: 'permessage-deflate' }] },
      _webSocketMessages: [
        { type: 'send', time: 1700000000.5, opcode: 1, data: '{"hi":1}' },
        { type: 'receive', time: 1700000000.6, opcode: 2, data: Buffer.from([0x81, 0xa1, 0x61, 0x01]).toString('base64') },
      ],
    }] } });
    const r = await detectAndInspect(har);
    expect(r.format).toBe('har');
    expect(r.frames.map((f) => [f.kind, f.direction, f.opcodeName, f.preview])).toEqual([
      ['message', 'client', 'text', 'json {"hi":1}'], ['message', 'server', 'binary', 'msgpack {"a":1}'],
    ]);
    expect(r.notes[0]).toMatch(/messages.*not wire frames/);
  });
});

describe('wsframe inspect (CLI)', () => {
  const dir = new URL('./fixtures/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const clean = new URL('clean.pcap', dir);
  const bad = new URL('bad.hex', dir);
  writeFileSync(clean, pcapOf('ethernet', tcpSession(steps())));
  writeFileSync(bad, Buffer.from(buildFrame({ opcode: 3, payload: utf8('x') })).toString('hex'));
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), readStdin: async () => new Uint8Array(0) } };
  };

  it('exits 0 on a clean capture and prints a table', async () => {
    const t = io();
    expect(await runInspect([clean.pathname], t.io)).toBe(0);
    expect(t.out[0]).toMatch(/No\. +Time Dir FIN RSV Opcode/);
    expect(t.out[0]).toMatch(/C→S  1  \.\.\. text +yes +15 Hello, wsframe!/);
    expect(t.out[0]).toMatch(/8 frames, 0 problems \(pcap\)/);
  });

  it('exits 1 when problems are found; --format json, --hex, --role', async () => {
    const t = io();
    expect(await runInspect([bad.pathname, '--role', 'server', '--hex'], t.io)).toBe(1);
    expect(t.out[0]).toMatch(/reserved 0x3.*INVALID_OPCODE/);
    expect(t.out[0]).toMatch(/header 83 01 @0: FIN=1/);
    const j = io();
    expect(await runInspect([bad.pathname, '--format', 'json', '--role', 'server'], j.io)).toBe(1);
    const report = JSON.parse(j.out.join('\n')) as InspectionReport;
    expect(report.frames[0].problems[0].code).toBe('WS_ERR_INVALID_OPCODE');
  });

  it.each([[[]], [['--format', 'xml', 'f']], [['--role']], [['a', 'b']], [['--bogus']], [['/nonexistent/file']]])('exits 2 on usage errors %j', async (args) => {
    const t = io();
    expect(await runInspect(args, t.io)).toBe(2);
    expect(t.err[0]).toMatch(/^wsframe inspect: .*\nusage:/);
  });
});
