// allocatorRetain (src/connection/allocator.ts): once a process has received as many bytes
// as it asked to retain, glibc keeps freed memory instead of trimming its heap after each
// collection; before that, and with 0, the allocator's defaults stand. The allocator's
// thresholds are process-wide and only ever rise, so each case runs in a fresh process.
import { describe, expect, it, vi } from 'vitest';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { WebSocket, WebSocketServer } from '../src/index.js';
import { noteReceived, requestRetention, retentionState } from '../src/connection/allocator.js';

const MiB = 1024 * 1024;
const glibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
  ?.header?.glibcVersionRuntime !== undefined;

describe('allocatorRetain', () => {
  it('is validated with the other options', () => {
    expect(() => new WebSocketServer({ noServer: true, allocatorRetain: -1 })).toThrow(RangeError);
    expect(() => new WebSocketServer({ noServer: true, allocatorRetain: 1.5 })).toThrow(/allocatorRetain must be an integer >= 0 \(got 1.5\)/);
    // Options that are refused ask for nothing.
    expect(() => new WebSocketServer({ noServer: true, allocatorRetain: 8 * MiB, maxPayload: -1 })).toThrow(/maxPayload/);
    expect(retentionState().wanted).toBe(0);
  });

  it('is asked for by a server and applied once its connections have received that much', async () => {
    expect(retentionState()).toEqual({ wanted: 0, dropped: 0, received: 0 });
    new WebSocketServer({ noServer: true, allocatorRetain: 0 }).close();
    expect(retentionState().wanted).toBe(0);
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', allocatorRetain: 4 * MiB });
    expect(retentionState()).toEqual({ wanted: 2 * MiB, dropped: 0, received: 0 });
    await once(wss, 'listening');
    const messages: number[] = [];
    wss.on('connection', (ws) => ws.on('message', (data: Buffer) => messages.push(data.length)));
    // The client asks for nothing (its default would ask for 64 MiB).
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { allocatorRetain: 0 });
    await once(client, 'open');
    expect(retentionState().wanted).toBe(2 * MiB);
    const chunk = Buffer.alloc(MiB);
    const sendOne = () => new Promise<void>((resolve, reject) => client.send(chunk, (e) => (e ? reject(e) : resolve())));
    const until = async (n: number) => {
      while (messages.length < n) await new Promise((r) => setTimeout(r, 5));
    };
    for (let i = 0; i < 3; i++) await sendOne();
    await until(3);
    expect(retentionState().dropped).toBe(0);
    expect(retentionState().received).toBeGreaterThanOrEqual(3 * MiB);
    await sendOne();
    await until(4);
    expect(retentionState().dropped).toBe(2 * MiB);
    // A smaller request later changes nothing.
    new WebSocketServer({ noServer: true, allocatorRetain: 2 * MiB }).close();
    expect(retentionState().wanted).toBe(2 * MiB);
    client.close();
    await once(client, 'close');
    await new Promise((r) => wss.close(r));
  });

  it('a block that cannot be allocated leaves the defaults, without throwing into the read', () => {
    // Runs after the test above (the process's state carries over): 2 MiB dropped so far.
    const tried: number[] = [];
    vi.stubGlobal('ArrayBuffer', function (size: number) {
      tried.push(size);
      throw new RangeError('Array buffer allocation failed');
    });
    try {
      requestRetention(16 * MiB);
      expect(() => noteReceived(16 * MiB)).not.toThrow();
      expect(() => noteReceived(16 * MiB)).not.toThrow();
    } finally {
      vi.unstubAllGlobals();
    }
    expect(tried).toEqual([8 * MiB]);
    expect(retentionState().dropped).toBe(8 * MiB);
  });

  describe.skipIf(!glibc)('on glibc: RSS handed back after a 20 MiB Buffer is dropped', () => {
    let child = '';
    const run = (retain: number, mib: number): { dropped: number; returned: number } => {
      const r = spawnSync(process.execPath, ['--expose-gc', child, String(retain), String(mib)], { encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return JSON.parse(r.stdout) as { dropped: number; returned: number };
    };

    it('builds the child', async () => {
      child = join(mkdtempSync(join(tmpdir(), 'wsframe-retain-')), 'child.mjs');
      await build({
        entryPoints: [fileURLToPath(new URL('./helpers/retention-child.ts', import.meta.url))],
        outfile: child, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error',
      });
    });

    it('with 0, it goes back to the kernel', () => {
      expect(run(0, 80).returned).toBeGreaterThan(12 * MiB);
    });

    it('with 64 MiB, not while less than that has been received', () => {
      const r = run(64 * MiB, 63);
      expect(r.dropped).toBe(0);
      expect(r.returned).toBeGreaterThan(12 * MiB);
    });

    it('with 64 MiB, once that much has been received, it is kept', () => {
      const r = run(64 * MiB, 64);
      expect(r.dropped).toBeGreaterThan(31 * MiB);
      expect(r.returned).toBeLessThan(4 * MiB);
    });

    it('with 8 MiB (thresholds raised below 20 MiB), it still goes back', () => {
      const r = run(8 * MiB, 80);
      expect(r.dropped).toBe(4 * MiB);
      expect(r.returned).toBeGreaterThan(12 * MiB);
    });
  });
});
