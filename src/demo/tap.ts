// The live tap: the raw wire bytes of an echo connection, both directions, mirrored to
// the inspector pages subscribed to it over `/tap?id=…`. The page decodes them itself.
//
//   tap message = [direction u8: 0 client→server, 1 server→client][time f64 BE, ms since epoch][bytes…]
//
// The request head is rebuilt from the parsed request (Node's HTTP parser consumed it);
// everything after it is the socket's own bytes: writes (the 101 response and every frame
// sent) by wrapping socket.write, reads by a 'data' listener placed before the WebSocket's
// (which unmasks received chunks in place).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from '../websocket.js';

export const TAP_CLIENT = 0;
export const TAP_SERVER = 1;

/** Random tap ids the page makes: 8-64 characters of [A-Za-z0-9_-]. */
export function validTapId(id: string | null): id is string {
  return id !== null && /^[\w-]{8,64}$/.test(id);
}

export class TapHub {
  private readonly taps = new Map<string, Set<WebSocket>>();

  /** A page subscribing to the connection tagged `id`. */
  subscribe(id: string, ws: WebSocket): void {
    let set = this.taps.get(id);
    if (set === undefined) this.taps.set(id, set = new Set());
    set.add(ws);
    ws.on('close', () => {
      set.delete(ws);
      if (set.size === 0 && this.taps.get(id) === set) this.taps.delete(id);
    });
  }

  private send(id: string, direction: number, bytes: Uint8Array): void {
    const set = this.taps.get(id);
    if (set === undefined || bytes.length === 0) return;
    const message = Buffer.allocUnsafe(9 + bytes.length);
    message[0] = direction;
    message.writeDoubleBE(performance.timeOrigin + performance.now(), 1);
    message.set(bytes, 9);
    for (const ws of set) if (ws.readyState === 1) ws.send(message, { binary: true });
  }

  /**
   * Mirrors the socket of an upgrade tagged `id`: call before handleUpgrade (so the 101
   * response is seen), then `attachReads` once the WebSocket is open.
   */
  wrap(id: string, req: IncomingMessage, socket: Duplex): { attachReads(): void } {
    const head = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) head.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    this.send(id, TAP_CLIENT, Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'));
    const write = socket.write;
    const hub = this;
    socket.write = function tapWrite(this: Duplex, chunk: unknown, ...rest: unknown[]): boolean {
      const encoding = typeof rest[0] === 'string' ? rest[0] as BufferEncoding : 'utf8';
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk as Uint8Array;
      hub.send(id, TAP_SERVER, bytes);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Duplex['write'];
    return {
      // First in line: the WebSocket's own listener unmasks the chunk in place.
      attachReads: () => { socket.prependListener('data', (d: Buffer) => hub.send(id, TAP_CLIENT, d)); },
    };
  }
}
