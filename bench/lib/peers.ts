// What wsframe is compared with: ws (its pure-JS helpers and its Receiver), bufferutil,
// utf-8-validate. Loaded through createRequire (they are CommonJS and stay outside the bundle).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);
/** ws's lib/ folder (its exports map forbids deep imports, so files are loaded by path). */
const WS_LIB = `${dirname(require.resolve('ws/package.json'))}/lib`;

/**
 * Evaluates one of ws's lib files with some of its dependencies hidden. On Node 20 ws
 * replaces its JS helpers with native ones whenever it can (bufferutil for unmask,
 * buffer.isUtf8 for UTF-8 — the latter regardless of WS_NO_UTF_8_VALIDATE), so the JS
 * versions are reached by loading the file again with those dependencies absent.
 */
function loadWsFileWithout(file: string, hidden: Record<string, object | null>): Record<string, unknown> {
  const path = `${WS_LIB}/${file}`;
  const local = createRequire(path);
  const fakeRequire = (id: string): unknown => {
    if (!(id in hidden)) return local(id);
    const stub = hidden[id];
    if (stub === null) throw new Error(`hidden for the benchmark: ${id}`);
    return stub;
  };
  const module = { exports: {} as Record<string, unknown> };
  const evaluate = new Function('require', 'module', 'exports', '__filename', '__dirname', readFileSync(path, 'utf8'));
  evaluate(fakeRequire, module, module.exports, path, dirname(path));
  return module.exports;
}

export type Unmask = (buffer: Buffer, mask: Buffer) => void;
export type Validate = (buffer: Uint8Array) => boolean;

/** ws's `_unmask`: the byte loop ws uses without bufferutil (and below 32 B with it). */
export const wsJsUnmask = loadWsFileWithout('buffer-util.js', { http: {}, bufferutil: null }).unmask as Unmask;

/** ws's `_isValidUTF8`: Markus Kuhn's checker, used by ws below 24 B or without isUtf8. */
export const wsJsIsValidUtf8 = loadWsFileWithout('validation.js', { buffer: {}, 'utf-8-validate': null })
  .isValidUTF8 as Validate;

interface NativeModule<T> { fn: T; kind: string }

/** Loads a ws helper module and says whether the native build or the JS fallback came back. */
function loadNative<T>(name: string, pick: (m: Record<string, unknown>) => unknown): NativeModule<T> {
  const loaded = require(name) as Record<string, unknown>;
  const fallback = require(`${name}/fallback`) as Record<string, unknown>;
  if (loaded === fallback) return { fn: pick(loaded) as T, kind: 'JS fallback (no native build)' };
  let where = 'native';
  try {
    const gypBuild = require('node-gyp-build') as { path(dir: string): string };
    where = `native (${gypBuild.path(dirname(require.resolve(`${name}/package.json`))).split('node_modules/')[1]})`;
  } catch {
    // node-gyp-build only reports the path; the module itself loaded.
  }
  return { fn: pick(loaded) as T, kind: where };
}

export const bufferutil = loadNative<(buffer: Buffer, mask: Buffer) => void>('bufferutil', (m) => m.unmask);
export const utf8Validate = loadNative<Validate>('utf-8-validate', (m) => m);

export interface WsReceiver {
  write(chunk: Buffer): boolean;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}

/**
 * ws's Receiver as ws's WebSocketServer sets it up (isServer, no permessage-deflate),
 * with ws's default helpers: bufferutil unmask from 32 B, buffer.isUtf8 from 24 B.
 */
export function wsReceiver(): WsReceiver {
  const Receiver = require(`${WS_LIB}/receiver.js`) as new (options: object) => WsReceiver;
  return new Receiver({ isServer: true, maxPayload: 0, binaryType: 'nodebuffer' });
}

/** ws's Receiver with its JS unmask (as with WS_NO_BUFFER_UTIL=1): buffer-util loaded without bufferutil. */
export function wsReceiverJs(): WsReceiver {
  const bufferUtil = loadWsFileWithout('buffer-util.js', { bufferutil: null });
  const Receiver = loadWsFileWithout('receiver.js', { './buffer-util': bufferUtil }) as unknown as new (options: object) => WsReceiver;
  return new Receiver({ isServer: true, maxPayload: 0, binaryType: 'nodebuffer' });
}

export const wsVersion = (require('ws/package.json') as { version: string }).version;
