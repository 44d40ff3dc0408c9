// Echo and broadcast servers for the end-to-end benchmark, one per process:
//   node servers.mjs <kind> <port> [echo|broadcast]
// kinds: wsframe-wasm, wsframe-js, wsframe-borrow, ws, ws-nonative, uws, net (the ceiling),
// wsframe-deflate and ws-deflate (permessage-deflate, same zlib settings), and
// wsframe-fixed: not an echo but a bound for profile.mjs. It borrows each payload and
// answers with one preallocated buffer of the same size, so no Buffer is made per message
// (the load generator counts frames and does not read them).
// Each server handles its messages the way its own README shows. With an IPC channel it
// answers 'memory' with process.memoryUsage() (after a GC when run with --expose-gc).
const [kind, portArg, mode = 'echo'] = process.argv.slice(2);
const port = Number(portArg ?? 9001);
const host = '127.0.0.1';
process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
// Messages handled, for the allocation profile (bench/e2e/profile.mjs): 'alloc-start'
// starts V8's sampling heap profiler (counting objects already collected too) and
// 'alloc-stop' answers with the bytes it saw allocated, the messages meanwhile, and the
// functions that allocated most.
let handled = 0;
let sampling = null;
process.on('message', async (m) => {
  if (m === 'memory') {
    globalThis.gc?.();
    process.send({ memory: process.memoryUsage() });
  } else if (m === 'alloc-start') {
    const { Session } = await import('node:inspector/promises');
    const session = new Session();
    session.connect();
    await session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    sampling = { session, handled };
    process.send({ sampling: true });
  } else if (m === 'alloc-stop' && sampling !== null) {
    const { profile } = await sampling.session.post('HeapProfiler.stopSampling');
    const messages = handled - sampling.handled;
    sampling.session.disconnect();
    sampling = null;
    process.send({ alloc: { messages, ...allocationSites(profile) } });
  }
});

/** Bytes in a sampling heap profile, and the sites (function and its caller) by bytes. */
function allocationSites(profile) {
  const sites = new Map();
  let bytes = 0;
  const name = (n) => {
    const f = n.callFrame;
    const file = f.url ? ` ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
    return `${f.functionName || '(anonymous)'}${file}`;
  };
  const walk = (n, caller) => {
    if (n.selfSize > 0) {
      const key = `${name(n)} ← ${caller}`;
      sites.set(key, (sites.get(key) ?? 0) + n.selfSize);
      bytes += n.selfSize;
    }
    for (const c of n.children) walk(c, name(n));
  };
  walk(profile.head, '');
  return { bytes, sites: [...sites.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6) };
}
const ready = () => (process.send ? process.send({ ready: true }) : console.log(`${kind} (${mode}) listening on ${port}`));

// The same permessage-deflate settings for both sides of the compressed comparison.
const DEFLATE = { threshold: 0, zlibDeflateOptions: { level: 1 }, concurrencyLimit: 10 };

if (kind.startsWith('wsframe') || kind.startsWith('ws')) {
  if (kind === 'ws-nonative') process.env.WS_NO_BUFFER_UTIL = '1';
  const ours = kind.startsWith('wsframe');
  const { WebSocketServer } = ours ? await import('../../dist/index.js') : await import('ws');
  const perMessageDeflate = kind.endsWith('-deflate') ? DEFLATE : false;
  const options = ours
    ? {
      port, host, core: kind === 'wsframe-js' ? 'js' : 'wasm', borrowPayload: kind === 'wsframe-borrow' || kind === 'wsframe-fixed', maxBackpressure: 0, perMessageDeflate,
      // For profile.mjs's comparison with the allocator left alone (the default is 64 MiB).
      ...(process.env.WSFRAME_ALLOCATOR_RETAIN !== undefined ? { allocatorRetain: Number(process.env.WSFRAME_ALLOCATOR_RETAIN) } : {}),
    }
    : { port, host, perMessageDeflate };
  const wss = new WebSocketServer(options, ready);
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    if (mode === 'broadcast') {
      ws.on('message', (data, isBinary) => {
        for (const client of wss.clients) client.send(data, { binary: isBinary });
      });
    } else if (kind === 'wsframe-fixed') {
      let reply = Buffer.alloc(0);
      ws.on('message', (data, isBinary) => {
        handled++;
        if (reply.length !== data.length) reply = Buffer.alloc(data.length, 0x61);
        ws.send(reply, { binary: isBinary });
      });
    } else {
      ws.on('message', (data, isBinary) => { handled++; ws.send(data, { binary: isBinary }); });
    }
  });
} else if (kind === 'uws') {
  const { default: uWS } = await import('uwebsockets');
  const app = uWS.App();
  app.ws('/*', {
    compression: 0, maxPayloadLength: 100 * 1024 * 1024, maxBackpressure: 1024 * 1024 * 1024, idleTimeout: 0,
    open: (ws) => { if (mode === 'broadcast') ws.subscribe('all'); },
    message: (ws, message, isBinary) => {
      if (mode === 'broadcast') app.publish('all', message, isBinary);
      else { handled++; ws.send(message, isBinary); }
    },
  }).listen(host, port, (token) => { if (token) ready(); else { console.error('uws listen failed'); process.exit(1); } });
} else if (kind === 'net') {
  // The ceiling: answers the handshake, then echoes bytes unparsed: the client's masked
  // frames come back masked (the load generator counts frames of either kind).
  const net = await import('node:net');
  const crypto = await import('node:crypto');
  net.createServer({ noDelay: true }, (socket) => {
    let upgraded = false;
    socket.on('data', (chunk) => {
      if (upgraded) { socket.write(chunk); return; }
      const text = chunk.toString('latin1');
      const key = /Sec-WebSocket-Key: (.*)\r\n/i.exec(text)[1];
      const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      upgraded = true;
    });
    socket.on('error', () => {});
  }).listen(port, host, ready);
} else {
  console.error(`unknown server kind ${kind}`);
  process.exit(2);
}
