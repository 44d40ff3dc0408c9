// Page side of test/browser.test.ts: plain browser JavaScript, served as-is to Chromium
// (no build step, so nothing a bundler adds can leak into the page). Everything hangs off
// `window.wsTest`; each call opens its own WebSocket and returns only small JSON results
// (lengths and SHA-256 digests, never the payloads themselves).
'use strict';

const encoder = new TextEncoder();
const PROTOCOLS = ['chat', 'superchat'];
const TIMEOUT_MS = 20_000;

/** Deterministic bytes: xorshift32 from `seed`, one byte per step. */
function pattern(size, seed) {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// 1-, 2-, 3- and 4-byte UTF-8 sequences: ASCII, Latin-1, CJK, symbols, emoji (astral).
const CHARS = ['a', 'Z', '~', 'é', 'ß', 'Ж', '中', '文', '日', '€', '✓', '😀', '🚀', '𝄞'];
const CHAR_BYTES = CHARS.map((c) => encoder.encode(c).length);

/** Deterministic text whose UTF-8 encoding is exactly `bytes` long, mostly multi-byte. */
function text(bytes, seed) {
  const parts = [];
  let x = seed >>> 0 || 0x9e3779b9;
  let used = 0;
  while (used < bytes) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    const k = x % CHARS.length;
    let c = CHARS[k];
    let n = CHAR_BYTES[k];
    if (used + n > bytes) { c = 'a'; n = 1; }
    parts.push(c);
    used += n;
  }
  return parts.join('');
}

async function sha256(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`page: timed out waiting for ${what}`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Opens a WebSocket and records its events; `opened` settles on open (rejects if it
 * closes first), `closed` on the CloseEvent, `messages` yields each message in order.
 */
function connect(url, binaryType) {
  const ws = new WebSocket(url, PROTOCOLS);
  if (binaryType) ws.binaryType = binaryType;
  const state = { ws, errors: 0, queue: [], waiters: [] };
  state.opened = new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('close', (e) => reject(new Error(`page: closed before open (code ${e.code})`)), { once: true });
  });
  state.closed = new Promise((resolve) => {
    ws.addEventListener('close', (e) => resolve({
      code: e.code, reason: e.reason, wasClean: e.wasClean, errors: state.errors, readyState: ws.readyState,
    }), { once: true });
  });
  ws.addEventListener('error', () => { state.errors++; });
  ws.addEventListener('message', (e) => {
    const waiter = state.waiters.shift();
    if (waiter) waiter(e.data);
    else state.queue.push(e.data);
  });
  state.next = () => withTimeout(new Promise((resolve) => {
    if (state.queue.length > 0) resolve(state.queue.shift());
    else state.waiters.push(resolve);
  }), 'a message');
  state.opened.catch(() => {});
  return state;
}

function describeData(data) {
  if (typeof data === 'string') return 'string';
  return Object.prototype.toString.call(data).slice(8, -1); // ArrayBuffer, Blob, ...
}

async function bytesOf(data) {
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof Blob) return new Uint8Array(await data.arrayBuffer());
  return new Uint8Array(data);
}

window.wsTest = {
  /**
   * Sends one message and awaits its echo. kind: 'text' | 'binary' | 'blob' (the message
   * sent as a Blob); binaryType: 'arraybuffer' | 'blob'.
   */
  async echo({ url, kind, size, seed, binaryType }) {
    const c = connect(url, binaryType);
    await withTimeout(c.opened, 'open');
    const info = { protocol: c.ws.protocol, extensions: c.ws.extensions, binaryType: c.ws.binaryType };
    let sentBytes;
    let sentText = null;
    if (kind === 'text') {
      sentText = text(size, seed);
      sentBytes = encoder.encode(sentText);
      c.ws.send(sentText);
    } else {
      sentBytes = pattern(size, seed);
      c.ws.send(kind === 'blob' ? new Blob([sentBytes]) : sentBytes);
    }
    const data = await c.next();
    const receivedBytes = await bytesOf(data);
    const result = {
      ...info,
      receivedType: describeData(data),
      sentLength: sentBytes.length,
      receivedLength: receivedBytes.length,
      sentSha256: await sha256(sentBytes),
      receivedSha256: await sha256(receivedBytes),
      textEqual: sentText === null ? null : data === sentText,
      // Proof the text really is multi-byte: UTF-16 units vs UTF-8 bytes.
      textUnits: sentText === null ? null : sentText.length,
      hasAstral: sentText === null ? null : /[\u{10000}-\u{10FFFF}]/u.test(sentText),
      hasCjk: sentText === null ? null : /[\u4e00-\u9fff]/u.test(sentText),
    };
    c.ws.close(1000, 'echo done');
    const close = await withTimeout(c.closed, 'close');
    return { ...result, close };
  },

  /** Opens, optionally sends `message`, then waits for the server to end the connection. */
  async awaitServerClose({ url, message }) {
    const c = connect(url);
    await withTimeout(c.opened, 'open');
    const protocol = c.ws.protocol;
    if (message !== undefined) c.ws.send(message);
    const close = await withTimeout(c.closed, 'close');
    return { protocol, ...close };
  },

  /** Opens, then closes from the page with `code` and `reason`. */
  async closeFromPage({ url, code, reason }) {
    const c = connect(url);
    await withTimeout(c.opened, 'open');
    c.ws.close(code, reason);
    const closingState = c.ws.readyState;
    const close = await withTimeout(c.closed, 'close');
    return { protocol: c.ws.protocol, closingState, ...close };
  },
};
