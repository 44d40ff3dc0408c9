// Server-side memory per compressed connection, wsframe vs ws, each server in its own process:
//
//   node bench/deflate-idle.mjs [connections=1000] [--dist]
//
// For each server kind a child process (node --expose-gc) runs an echo server with
// perMessageDeflate enabled on 127.0.0.1:0; this process opens `connections` ws clients
// (permessage-deflate negotiated), and the child reports process.memoryUsage() after a
// full GC at four points: before, with every connection idle, after one compressed
// 2 KiB message each way on every connection (zlib contexts kept: context takeover), and
// after all closed. wsframe is bundled from src/ with esbuild (or taken from dist/ with --dist).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);

if (args[0] === '--child') {
  // ── child: one server ──
  const [, kind, entry] = args;
  const { WebSocketServer } = kind === 'ws' ? await import('ws') : await import(entry);
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await once(wss, 'listening');
  const settle = async () => {
    for (let i = 0; i < 4; i++) {
      globalThis.gc?.();
      await new Promise((r) => setTimeout(r, 50));
    }
    return process.memoryUsage();
  };
  process.on('message', async (m) => {
    if (m === 'measure') process.send({ memory: await settle(), clients: wss.clients.size });
    if (m === 'exit') {
      for (const c of wss.clients) c.terminate();
      wss.close(() => process.exit(0));
    }
  });
  process.send({ port: wss.address().port });
} else {
  // ── parent: clients and the report ──
  const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
  const useDist = args.includes('--dist');
  const { WebSocket } = await import('ws');
  let entry = pathToFileURL(join(here, '..', 'dist', 'index.js')).href;
  let tmp = null;
  if (!useDist) {
    const esbuild = await import('esbuild');
    tmp = mkdtempSync(join(tmpdir(), 'wsframe-idle-'));
    const outfile = join(tmp, 'index.mjs');
    await esbuild.build({
      entryPoints: [join(here, '..', 'src', 'index.ts')], bundle: true, platform: 'node', format: 'esm',
      outfile, external: ['ws', 'bufferutil', 'utf-8-validate'], logLevel: 'warning',
    });
    entry = pathToFileURL(outfile).href;
  }

  const message = Array.from({ length: 300 }, (_, i) => `word${i % 37} `).join('').slice(0, 2048);
  const request = (child, m) => new Promise((resolve) => {
    child.once('message', resolve);
    child.send(m);
  });

  const results = {};
  for (const kind of ['wsframe', 'ws']) {
    const child = fork(fileURLToPath(import.meta.url), ['--child', kind, entry], { execArgv: ['--expose-gc'] });
    const { port } = await once(child, 'message').then(([m]) => m);
    const before = (await request(child, 'measure')).memory;
    const clients = [];
    for (let i = 0; i < N; i += 100) {
      const batch = [];
      for (let j = i; j < Math.min(N, i + 100); j++) {
        const c = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: { threshold: 0 } });
        c.on('error', (e) => { console.error(kind, 'client error', e.message); });
        clients.push(c);
        batch.push(once(c, 'open'));
      }
      await Promise.all(batch);
    }
    const negotiated = clients.filter((c) => c.extensions === 'permessage-deflate').length;
    const idle = await request(child, 'measure');
    await Promise.all(clients.map((c) => new Promise((resolve) => {
      c.once('message', resolve);
      c.send(message);
    })));
    const used = await request(child, 'measure');
    await Promise.all(clients.map((c) => { const closed = once(c, 'close'); c.close(); return closed; }));
    await new Promise((r) => setTimeout(r, 200));
    const closed = await request(child, 'measure');
    child.send('exit');
    await once(child, 'exit');
    const per = (a, b, key) => Math.round((a[key] - b[key]) / N);
    // external includes arrayBuffers (Buffers) and zlib's native allocations.
    const heapish = (m) => ({ ...m, total: m.heapUsed + m.external });
    const [b, i, u, c] = [before, idle.memory, used.memory, closed.memory].map(heapish);
    results[kind] = {
      negotiated: `${negotiated}/${N}`,
      'idle rss B/conn': per(i, b, 'rss'),
      'idle heap+external B/conn': per(i, b, 'total'),
      'after 1 msg rss B/conn': per(u, b, 'rss'),
      'after 1 msg heap+external B/conn': per(u, b, 'total'),
      'after 1 msg heapUsed / external / arrayBuffers B/conn': `${per(u, b, 'heapUsed')} / ${per(u, b, 'external')} / ${per(u, b, 'arrayBuffers')}`,
      'after close rss MiB over start': ((c.rss - b.rss) / 1048576).toFixed(1),
      'after close heap+external MiB over start': ((c.total - b.total) / 1048576).toFixed(1),
    };
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  console.log(`permessage-deflate server memory, ${N} connections, node ${process.version} (${useDist ? 'dist/' : 'src/ bundled'})`);
  console.table(results);
}
