// Load generator: C raw-TCP WebSocket connections (its own handshake), each keeping W
// pre-encoded masked frames in flight; counts echoes for a fixed duration; reports msg/s,
// MB/s, RTT percentiles and its own CPU use. Runs in its own process (pinned with taskset
// by bench/e2e/run.mjs). Output: one JSON line on stdout.
//   node loadgen.mjs --url ws://127.0.0.1:9001/ --connections 16 --size 32 --window 16 --seconds 5 [--binary true]
//   --mode broadcast: 1 sender keeps W messages in flight, every connection counts deliveries
//   --mode idle: opens the connections, prints {"established":N}, holds them until killed
import net from 'node:net';
import crypto from 'node:crypto';
import zlib from 'node:zlib';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true']);
  return acc;
}, []));
const url = new URL(args.url ?? 'ws://127.0.0.1:9001/');
const connections = Number(args.connections ?? 16);
const size = Number(args.size ?? 32);
const window = Number(args.window ?? 16);
const seconds = Number(args.seconds ?? 5);
const warmup = Number(args.warmup ?? 1);
const binary = args.binary === 'true';
const mode = args.mode ?? 'echo';

const deflate = args.deflate === 'true';
/** Payload bytes: JSON-like text for compressed runs (so deflate has something to do). */
function payloadOf(payloadSize) {
  if (!deflate) return Buffer.alloc(payloadSize, binary ? 0xab : 0x61);
  let text = '';
  for (let i = 0; text.length < payloadSize; i++) text += JSON.stringify({ id: i, user: `user${i % 97}`, active: i % 3 === 0, score: (i * 7919) % 1000, tags: ['a', 'bb', 'ccc'] });
  return Buffer.from(text.slice(0, payloadSize));
}
/**
 * A masked client frame (RFC 6455 section 5.2) carrying `size` bytes; with --deflate, the
 * payload deflated on its own (client_no_context_takeover is negotiated) with RSV1 set.
 */
function frame(payloadSize) {
  let payload = payloadOf(payloadSize);
  if (deflate) {
    const z = zlib.deflateRawSync(payload, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    payload = z.subarray(0, z.length - 4); // RFC 7692 section 7.2.1: drop 00 00 ff ff
    payloadSize = payload.length;
  }
  const len = payloadSize < 126 ? 2 : payloadSize < 65536 ? 4 : 10;
  const out = Buffer.alloc(len + 4 + payloadSize);
  out[0] = 0x80 | (deflate ? 0x40 : 0) | (binary ? 2 : 1);
  if (payloadSize < 126) out[1] = 0x80 | payloadSize;
  else if (payloadSize < 65536) { out[1] = 0x80 | 126; out.writeUInt16BE(payloadSize, 2); }
  else { out[1] = 0x80 | 127; out.writeBigUInt64BE(BigInt(payloadSize), 2); }
  const key = crypto.randomBytes(4);
  key.copy(out, len);
  for (let i = 0; i < payloadSize; i++) out[len + 4 + i] = payload[i] ^ key[i & 3];
  return out;
}
const one = frame(size);
// A window's worth of frames in one buffer, so the initial burst is one write.
const burst = Buffer.concat(Array.from({ length: window }, () => one));

/**
 * Counts whole frames in a byte stream (any lengths, masked or not: the `net` ceiling
 * echoes our masked frames back). Returns a function (chunk, end) → frames completed in
 * chunk[0, end).
 */
function frameCounter() {
  const head = Buffer.alloc(14);
  let headLength = 0;
  let remaining = 0;
  return (chunk, end) => {
    let frames = 0;
    let i = 0;
    while (i < end) {
      if (remaining > 0) {
        const take = Math.min(remaining, end - i);
        remaining -= take; i += take;
        if (remaining === 0) frames++;
        continue;
      }
      if (headLength === 0 && end - i >= 2) {
        // Fast path: the whole header is in this chunk.
        const b1 = chunk[i + 1];
        const len7 = b1 & 0x7f;
        const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
        if (end - i >= need) {
          remaining = len7 === 126 ? chunk.readUInt16BE(i + 2) : len7 === 127 ? Number(chunk.readBigUInt64BE(i + 2)) : len7;
          i += need;
          if (remaining === 0) frames++;
          continue;
        }
      }
      head[headLength++] = chunk[i++];
      if (headLength < 2) continue;
      const len7 = head[1] & 0x7f;
      const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (head[1] & 0x80 ? 4 : 0);
      if (headLength < need) continue;
      remaining = len7 === 126 ? head.readUInt16BE(2) : len7 === 127 ? Number(head.readBigUInt64BE(2)) : len7;
      headLength = 0;
      if (remaining === 0) frames++;
    }
    return frames;
  };
}

let counting = false;
let received = 0;
const latencies = [];
const start = process.hrtime.bigint();

/**
 * Every connection reads into this one buffer (net.connect's `onread`: no Buffer per read,
 * and up to 1 MiB per read call instead of 64 KiB). A read's callback consumes it before
 * the next read, on any connection, so one buffer serves them all.
 */
const READ_BUFFER = Buffer.allocUnsafe(1 << 20);

function open(i, onOpen) {
  return new Promise((resolve, reject) => {
    const key = crypto.randomBytes(16).toString('base64');
    let head = Buffer.alloc(0);
    /** What reads go to: the handshake's reader, then the workload's (`onOpen` sets it). */
    let reader = (buf, n) => {
      head = Buffer.concat([head, buf.subarray(0, n)]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      if (!head.subarray(0, 12).toString().includes('101')) return reject(new Error(`connection ${i}: ${head.toString().split('\r\n')[0]}`));
      if (deflate && !/permessage-deflate/i.test(head.subarray(0, end).toString())) return reject(new Error(`connection ${i}: permessage-deflate not accepted`));
      const rest = head.subarray(end + 4); // head is our own concat, never the read buffer
      reader = () => {};
      onOpen(socket, rest, (next) => { reader = next; });
      resolve(socket);
    };
    const socket = net.connect({
      host: url.hostname, port: Number(url.port), noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (n, buf) => { reader(buf, n); } },
    });
    socket.once('error', reject);
    socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
      (deflate ? 'Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n' : '') + '\r\n');
  });
}

/**
 * `n` frames to send: a view of the pre-encoded burst (no copy; the bytes never change, so
 * a write the socket has to keep for later is still right). More than a window's worth
 * (the broadcast sender may be owed more) is written in several views.
 */
function sendFrames(socket, n) {
  if (n <= window) { socket.write(n === window ? burst : burst.subarray(0, n * one.length)); return; }
  socket.cork();
  for (; n > 0; n -= window) socket.write(n >= window ? burst : burst.subarray(0, n * one.length));
  socket.uncork();
}

function run(socket, rest, setReader) {
  const sent = []; // send times (ns) of frames in flight, FIFO
  const count = frameCounter();
  const now = () => Number(process.hrtime.bigint() - start);
  const onData = (chunk, n) => {
    const echoes = count(chunk, n);
    if (echoes === 0) return;
    const t = now();
    for (let e = 0; e < echoes; e++) {
      const t0 = sent.shift();
      if (counting) { received++; if ((received & 7) === 0) latencies.push(t - t0); }
      sent.push(t);
    }
    sendFrames(socket, echoes);
  };
  setReader(onData);
  if (rest.length) onData(rest, rest.length);
  const t = now();
  for (let w = 0; w < window; w++) sent.push(t);
  socket.write(burst);
}

// ── broadcast: every connection counts what it receives; connection 0 also sends ──
let sender = null;
let senderInFlight = [];
function receive(socket, rest, setReader) {
  const count = frameCounter();
  const onData = (chunk, n) => {
    const frames = count(chunk, n);
    if (frames === 0) return;
    if (counting) received += frames;
    if (socket === sender) {
      const t = Number(process.hrtime.bigint() - start);
      for (let f = 0; f < frames; f++) {
        const t0 = senderInFlight.shift();
        if (counting) latencies.push(t - t0);
        senderInFlight.push(t);
      }
      sendFrames(socket, frames);
    }
  };
  setReader(onData);
  if (rest.length) onData(rest, rest.length);
}
function startBroadcast(socket) {
  sender = socket;
  const t = Number(process.hrtime.bigint() - start);
  for (let w = 0; w < window; w++) senderInFlight.push(t);
  socket.write(burst);
}

/**
 * Opens `n` connections, at most 200 handshakes at a time, and only then starts each one
 * (`onOpen`): traffic on the first connections would slow the handshakes of the others
 * (1,024 connections took over 4 s to open that way, under 1 s this way).
 */
async function openAll(n, onOpen) {
  const sockets = [];
  const opened = [];
  const hold = (socket, rest, setReader) => { socket.pause(); opened.push([socket, rest, setReader]); };
  for (let i = 0; i < n; i += 200) {
    const batch = await Promise.all(Array.from({ length: Math.min(200, n - i) }, (_, j) => open(i + j, hold)));
    sockets.push(...batch);
  }
  for (const [socket, rest, setReader] of opened) {
    onOpen(socket, rest, setReader);
    socket.resume();
  }
  return sockets;
}

if (mode === 'idle') {
  const sockets = await openAll(connections, () => {});
  console.log(JSON.stringify({ established: sockets.length }));
  process.on('SIGTERM', () => { for (const s of sockets) s.destroy(); process.exit(0); });
  setInterval(() => {}, 1 << 30);
} else {
  const sockets = await openAll(connections, mode === 'broadcast' ? receive : run);
  if (mode === 'broadcast') startBroadcast(sockets[0]);
  await new Promise((r) => setTimeout(r, warmup * 1000));
  counting = true;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  counting = false;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  for (const s of sockets) s.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] / 1e6 : null;
  console.log(JSON.stringify({
    mode, connections, size, window, binary, seconds: elapsed,
    messages: received, msgPerSec: received / elapsed, mbPerSec: (received * size) / elapsed / 1e6,
    p50: pct(0.5), p99: pct(0.99), p999: pct(0.999),
    loadgenCpu: (cpu.user + cpu.system) / 1e6 / elapsed,
    wireBytesPerMessage: one.length,
  }));
  process.exit(0);
}

