// permessage-deflate safety: decompression bombs end in 1009 quickly with bounded memory,
// the process-wide concurrency limit holds under load, zlib streams are created only when
// used and released when connections close (10,000 cycles), idle connections cost no zlib.
import zlib from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from '../src/index.js';
import {
  Cleanup, deflateMessage, delay, gcFunction, listening, mib, MiB, Prng, RawClient, rawServer, serverFrame,
  settledMemory, sha256, textOf,
} from './deflate/util.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const PMD = 'permessage-deflate';
const { gc, how: gcHow } = gcFunction();

// ── zlib stream accounting: every DeflateRaw/InflateRaw that does any work, until it closes ──
type Z = zlib.DeflateRaw | zlib.InflateRaw;
const live = new Set<Z>();
const seen = new WeakSet<Z>();
const counts = { deflate: 0, inflate: 0, inflightInflate: 0, maxInflightInflate: 0 };
const patched: Array<() => void> = [];

function track(stream: Z, kind: 'deflate' | 'inflate'): void {
  if (seen.has(stream)) return;
  seen.add(stream);
  counts[kind]++;
  live.add(stream);
  stream.once('close', () => live.delete(stream));
}

beforeAll(() => {
  for (const [Class, kind] of [[zlib.DeflateRaw, 'deflate'], [zlib.InflateRaw, 'inflate']] as const) {
    const proto = Class.prototype as unknown as { write: (...a: unknown[]) => boolean; flush: (...a: unknown[]) => void };
    const hadWrite = Object.prototype.hasOwnProperty.call(proto, 'write');
    const hadFlush = Object.prototype.hasOwnProperty.call(proto, 'flush');
    const write = proto.write;
    const flush = proto.flush;
    proto.write = function (this: Z, ...args: unknown[]) {
      track(this, kind);
      return write.apply(this, args);
    };
    if (kind === 'inflate') {
      // A decompress job is write, write, flush(cb): in flight from flush to its callback.
      proto.flush = function (this: Z, ...args: unknown[]) {
        const i = args.findIndex((a) => typeof a === 'function');
        if (i >= 0) {
          counts.inflightInflate++;
          counts.maxInflightInflate = Math.max(counts.maxInflightInflate, counts.inflightInflate);
          const cb = args[i] as (...x: unknown[]) => void;
          // (No 'close' listener here: it would keep the job's buffers alive until the stream closes.)
          args[i] = (...x: unknown[]) => { counts.inflightInflate--; cb(...x); };
        }
        return flush.apply(this, args);
      };
    }
    patched.push(() => {
      if (hadWrite) proto.write = write; else delete (proto as { write?: unknown }).write;
      if (kind === 'inflate') { if (hadFlush) proto.flush = flush; else delete (proto as { flush?: unknown }).flush; }
    });
  }
});
afterAll(() => { for (const undo of patched) undo(); });

async function waitUntil(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

/**
 * Peak growth of RSS and arrayBuffers over `base` while `run` runs, sampled every 2 ms; with
 * `collect`, sampled every 20 ms after a full GC (what is held, not garbage not yet collected).
 */
async function peakDuring<T>(base: NodeJS.MemoryUsage, run: () => Promise<T>, collect = false): Promise<{ result: T; rss: number; arrayBuffers: number; external: number }> {
  let rss = 0;
  let arrayBuffers = 0;
  let external = 0;
  const sample = (): void => {
    if (collect && gc) gc();
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss - base.rss);
    arrayBuffers = Math.max(arrayBuffers, m.arrayBuffers - base.arrayBuffers);
    external = Math.max(external, m.external - base.external);
  };
  const timer = setInterval(sample, collect ? 20 : 2);
  try {
    const result = await run();
    sample();
    return { result, rss, arrayBuffers, external };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Raw deflate of `total` zeros, SYNC_FLUSH tail removed, built from one 64 MiB piece
 * repeated: each piece ends byte-aligned on an empty stored block, and a repeat of it only
 * refers back into zeros, so the concatenation is a valid stream of total zeros (~1/1030).
 */
function bomb(total: number): Buffer {
  const piece = zlib.deflateRawSync(Buffer.alloc(Math.min(total, 64 * MiB)), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const all = Buffer.concat(Array(Math.ceil(total / (64 * MiB))).fill(piece));
  return Buffer.from(all.subarray(0, all.length - 4));
}

describe('decompression bombs → 1009 WS_ERR_UNSUPPORTED_MESSAGE_LENGTH, fast, bounded memory', () => {
  it('~1 KiB of compressed zeros (1 MiB inflated) against maxPayload 64 KiB', async () => {
    const small = bomb(1 * MiB);
    expect(small.length).toBeLessThan(1200);
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 64 * 1024, perMessageDeflate: true });
    const port = await listening(wss, cleanup);
    const errors: Array<Error & { code?: string }> = [];
    wss.on('connection', (ws) => ws.on('error', (e) => errors.push(e)));
    const raw = await RawClient.connect(port, cleanup, PMD);
    raw.send({ opcode: 2, rsv1: true, payload: small });
    expect((await raw.reader.closeFrame()).code).toBe(1009);
    expect(errors.map((e) => e.code)).toEqual(['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']);
  });

  it('1 GiB of zeros in ~1 MiB (one frame, then the same fragmented) against maxPayload 2 MiB', async () => {
    const big = bomb(1024 * MiB);
    expect(big.length).toBeLessThan(2 * MiB);
    // concurrencyLimit 1: if the bomb kept its zlib slot, the next connection would starve.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 2 * MiB, perMessageDeflate: { concurrencyLimit: 1, threshold: 0 } });
    const port = await listening(wss, cleanup);
    const errors: Array<Error & { code?: string }> = [];
    wss.on('connection', (ws) => {
      ws.on('error', (e) => errors.push(e));
      ws.on('message', (d, b) => ws.send(d as Buffer, { binary: b }));
    });
    const base = await settledMemory(gc);
    for (const fragments of [1, 8]) {
      const raw = await RawClient.connect(port, cleanup, PMD);
      const start = performance.now();
      const { result: close, rss, arrayBuffers, external } = await peakDuring(base, async () => {
        const step = Math.ceil(big.length / fragments);
        for (let i = 0; i < fragments; i++) {
          raw.send({ opcode: i === 0 ? 2 : 0, rsv1: i === 0, fin: i === fragments - 1, payload: big.subarray(i * step, (i + 1) * step) });
        }
        const c = await raw.reader.closeFrame(10_000);
        await raw.closed;
        return c;
      });
      const ms = performance.now() - start;
      console.log(`[deflate-safety] 1 GiB bomb (${big.length} B compressed, ${fragments} frame(s)): close ${close.code} after ${ms.toFixed(0)} ms; ` +
        `peak growth rss ${mib(rss)}, arrayBuffers ${mib(arrayBuffers)}, external ${mib(external)} (gc: ${gcHow})`);
      expect(close.code).toBe(1009);
      expect(ms).toBeLessThan(1000); // inflating all of it took ~4 s; stopping at maxPayload takes ms
      expect(rss).toBeLessThan(64 * MiB);
      expect(arrayBuffers).toBeLessThan(64 * MiB);
    }
    expect(errors.map((e) => e.code)).toEqual(['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']);
    // The limiter slot was released: a well-behaved client still gets its compressed echo.
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    cleanup.add(() => client.terminate());
    await new Promise<void>((resolve) => client.on('open', resolve));
    const echo = new Promise<string>((resolve) => client.once('message', (d) => resolve(String(d))));
    client.send('after the bomb '.repeat(200));
    expect(await echo).toBe('after the bomb '.repeat(200));
  });

  it('our client: a 512 MiB bomb from the server against maxPayload 1 MiB', async () => {
    const b = bomb(512 * MiB);
    const server = await rawServer(cleanup, () => PMD);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}`, { maxPayload: MiB });
    cleanup.add(() => ws.terminate());
    const errors: Array<Error & { code?: string }> = [];
    ws.on('error', (e) => errors.push(e));
    await new Promise<void>((resolve) => ws.on('open', resolve));
    const conn = await server.next();
    const base = await settledMemory(gc);
    const start = performance.now();
    const { result: close, rss } = await peakDuring(base, async () => {
      conn.socket.write(serverFrame({ opcode: 2, rsv1: true, payload: b }));
      return conn.reader.closeFrame(10_000);
    });
    const ms = performance.now() - start;
    console.log(`[deflate-safety] client 512 MiB bomb: close ${close.code} after ${ms.toFixed(0)} ms, peak rss growth ${mib(rss)}`);
    expect(close.code).toBe(1009);
    expect(errors[0]?.code).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    expect(ms).toBeLessThan(750); // ~1.5 s when the whole bomb is inflated
    expect(rss).toBeLessThan(64 * MiB);
  });

  it('a message that inflates to exactly maxPayload is delivered; one byte more is 1009', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 100_000, perMessageDeflate: { threshold: 0 } });
    const port = await listening(wss, cleanup);
    const sizes: number[] = [];
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      ws.on('message', (d) => sizes.push((d as Buffer).length));
    });
    const raw = await RawClient.connect(port, cleanup, PMD);
    raw.send({ opcode: 2, rsv1: true, payload: deflateMessage(Buffer.alloc(100_000, 1)) });
    raw.send({ opcode: 2, rsv1: true, payload: deflateMessage(Buffer.alloc(100_001, 1)) });
    expect((await raw.reader.closeFrame()).code).toBe(1009);
    expect(sizes).toEqual([100_000]);
  });
});

describe('concurrencyLimit', () => {
  it('50 clients each sending a 2 MiB compressible message: at most concurrencyLimit inflations at once, memory bounded', async () => {
    const LIMIT = 4;
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { concurrencyLimit: LIMIT } });
    const port = await listening(wss, cleanup);
    wss.on('connection', (ws) => ws.on('message', (d) => ws.send(sha256(d as Buffer))));
    const rng = new Prng(50);
    const base2 = Buffer.from(textOf(rng, 2 * MiB));
    // Raw clients with their frames compressed and masked beforehand: during the burst only
    // the server allocates, so the memory measured is the server's.
    const clients = await Promise.all(Array.from({ length: 50 }, () => RawClient.connect(port, cleanup, PMD)));
    expect(clients.every((c) => c.extensions === PMD)).toBe(true);
    // Each message differs (its index at the front) so each must really be inflated.
    const payloads = clients.map((_, i) => Buffer.concat([Buffer.from(`${i}:`), base2.subarray(0, 2 * MiB - 8)]));
    const expected = payloads.map((p) => sha256(p));
    const frames = payloads.map((p) => RawClient.frame({ opcode: 2, rsv1: true, payload: deflateMessage(p) }));
    payloads.length = 0;
    counts.maxInflightInflate = 0;
    const before = await settledMemory(gc);
    const { result: hashes, arrayBuffers, rss } = await peakDuring(before, () => Promise.all(clients.map(async (c, i) => {
      c.socket.write(frames[i]);
      const [reply] = await c.reader.waitFor((f) => f.length >= 1, 30_000);
      return reply.payload.toString();
    })), true);
    console.log(`[deflate-safety] 50 × 2 MiB with concurrencyLimit ${LIMIT}: max inflations in flight ${counts.maxInflightInflate}, ` +
      `peak growth after GC: arrayBuffers ${mib(arrayBuffers)}, rss ${mib(rss)} (all at once would hold ${mib(50 * 2 * MiB)}; gc: ${gcHow})`);
    expect(hashes).toEqual(expected);
    expect(counts.maxInflightInflate).toBeLessThanOrEqual(LIMIT);
    expect(counts.maxInflightInflate).toBeGreaterThanOrEqual(2);
    // Only meaningful with a GC to call: otherwise garbage (inflated and hashed messages) counts too.
    if (gc) expect(arrayBuffers).toBeLessThan(48 * MiB);
  });
});

describe('zlib stream lifetime', () => {
  it('idle connections with deflate negotiated create no zlib stream; one message creates exactly the four it needs', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
    const port = await listening(wss, cleanup);
    wss.on('connection', (ws) => ws.on('message', (d, b) => ws.send(d as Buffer, { binary: b })));
    const created = counts.deflate + counts.inflate;
    const clients: WebSocket[] = [];
    for (let i = 0; i < 200; i++) {
      const c = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: { threshold: 0 } });
      cleanup.add(() => c.terminate());
      clients.push(c);
    }
    await Promise.all(clients.map((c) => new Promise((resolve) => c.on('open', resolve))));
    expect(clients.every((c) => c.extensions === PMD)).toBe(true);
    await delay(50);
    expect(counts.deflate + counts.inflate - created).toBe(0);
    const echo = new Promise((resolve) => clients[0].once('message', resolve));
    clients[0].send('once');
    await echo;
    expect(counts.deflate + counts.inflate - created).toBe(4); // client deflate, server inflate, server deflate, client inflate
    for (const c of clients) c.close();
    await Promise.all(clients.map((c) => new Promise((resolve) => c.readyState === c.CLOSED ? resolve(null) : c.on('close', resolve))));
    await waitUntil(() => live.size === 0, 2000, 'zlib streams to close');
  });

  it('connections terminated mid-compression and mid-inflation release their limiter slots and zlib streams', async () => {
    // concurrencyLimit 2: both a compression and an inflation of one connection can be in flight.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0, concurrencyLimit: 2 } });
    const port = await listening(wss, cleanup);
    const big = Buffer.from(textOf(new Prng(8), 4 * MiB));
    const bigFrame = RawClient.frame({ opcode: 2, rsv1: true, payload: deflateMessage(big) });
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      ws.send(big); // compression starts at once
      ws.on('message', (d, b) => ws.send(d as Buffer, { binary: b }));
    });
    const rng = new Prng(9);
    for (let i = 0; i < 30; i++) {
      const raw = await RawClient.connect(port, cleanup, PMD);
      raw.socket.write(bigFrame);
      await delay(rng.int(6));
      raw.socket.destroy();
    }
    await waitUntil(() => wss.clients.size === 0, 5000, 'server connections to close');
    // Both slots are free: two new connections each get a compressed echo promptly.
    const start = performance.now();
    const echoes = await Promise.all([0, 1].map(async () => {
      const raw = await RawClient.connect(port, cleanup, PMD);
      raw.send({ opcode: 1, rsv1: true, payload: deflateMessage(Buffer.from('still alive')) });
      const frames = await raw.reader.waitFor((f) => f.length >= 2, 10_000);
      return frames.length;
    }));
    expect(echoes).toEqual([2, 2]);
    expect(performance.now() - start).toBeLessThan(5000);
    for (const c of wss.clients) c.terminate();
    await waitUntil(() => wss.clients.size === 0 && live.size === 0, 5000, `zlib streams to close (${live.size} live)`);
  });

  it('10,000 connect / send compressed / close cycles, 50 at a time: every zlib stream released, memory flat', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
    const port = await listening(wss, cleanup);
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      ws.on('message', (d, b) => ws.send(d as Buffer, { binary: b }));
    });
    const message = textOf(new Prng(10), 2048);
    let failures = 0;
    const cycle = (): Promise<void> => new Promise<void>((resolve) => {
      const c = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: { threshold: 0 } });
      c.on('error', () => { failures++; });
      c.on('open', () => c.send(message));
      c.on('message', (d) => {
        if (String(d) !== message) failures++;
        c.close();
      });
      c.on('close', () => resolve());
    });
    const run = async (total: number): Promise<void> => {
      let started = 0;
      const worker = async (): Promise<void> => {
        while (started < total) {
          started++;
          await cycle();
        }
      };
      await Promise.all(Array.from({ length: 50 }, worker));
    };
    await run(500); // warm-up: JIT, pools, allocator
    await waitUntil(() => wss.clients.size === 0 && live.size === 0, 5000, 'warm-up connections to close');
    const before = await settledMemory(gc);
    const createdBefore = counts.deflate + counts.inflate;
    const start = performance.now();
    await run(10_000);
    const ms = performance.now() - start;
    await waitUntil(() => wss.clients.size === 0, 5000, 'server connections to close');
    await waitUntil(() => live.size === 0, 5000, `zlib streams to close (${live.size} live)`);
    const after = await settledMemory(gc);
    const created = counts.deflate + counts.inflate - createdBefore;
    console.log(`[deflate-safety] 10,000 cycles in ${(ms / 1000).toFixed(1)} s, ${created} zlib streams created, ${live.size} live after; ` +
      `heapUsed ${mib(before.heapUsed)} → ${mib(after.heapUsed)}, rss ${mib(before.rss)} → ${mib(after.rss)}, ` +
      `external ${mib(before.external)} → ${mib(after.external)}, arrayBuffers ${mib(before.arrayBuffers)} → ${mib(after.arrayBuffers)} (gc: ${gcHow})`);
    expect(failures).toBe(0);
    expect(created).toBe(40_000);
    expect(live.size).toBe(0);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(50 * MiB);
    expect(after.rss - before.rss).toBeLessThan(50 * MiB);
  }, 120_000);
});


