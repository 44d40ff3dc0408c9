// Live mode: the page opens a tap (/tap?id=…) and then an echo connection tagged with the
// same id; the demo server mirrors that connection's raw bytes, both directions, to the
// tap, and the page decodes them here with the WebAssembly core.
import { ConnectionInspector } from '../../src/inspect/capture/connection.js';
import type { Codec } from '../../src/codec/types.js';
import type { InspectedFrame } from '../../src/inspect/types.js';

export interface LiveHandlers {
  frames(frames: InspectedFrame[]): void;
  state(text: string, open: boolean): void;
}

export class LiveSession {
  private echo?: WebSocket;
  private tap?: WebSocket;
  private readonly inspector: ConnectionInspector;
  private chain: Promise<unknown> = Promise.resolve();
  private index = 0;

  constructor(private readonly base: string, codec: Codec, private readonly on: LiveHandlers) {
    this.inspector = new ConnectionInspector(1, { codec });
  }

  start(): void {
    const id = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
    const tap = this.tap = new WebSocket(`${this.base}/tap?id=${id}`);
    tap.binaryType = 'arraybuffer';
    this.on.state('opening tap…', false);
    tap.onerror = () => this.on.state('tap failed: is the demo server running? (npm start)', false);
    tap.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      if (typeof e.data === 'string') { this.openEcho(id); return; }
      const bytes = new Uint8Array(e.data);
      const direction = bytes[0] === 0 ? 'client' : 'server';
      const time = new DataView(e.data).getFloat64(1) / 1000;
      // Decoding is asynchronous (inflation); keep the tap's order.
      this.chain = this.chain.then(async () => {
        const frames = await this.inspector.push(direction, bytes.subarray(9), time);
        for (const f of frames) f.index = ++this.index;
        if (frames.length > 0) this.on.frames(frames);
      });
    };
  }

  private openEcho(id: string): void {
    const echo = this.echo = new WebSocket(`${this.base}/echo?tap=${id}`);
    echo.onopen = () => this.on.state(`open (${echo.extensions || 'no extensions'})`, true);
    echo.onclose = (e) => this.on.state(`closed (${e.code}${e.reason ? ` ${e.reason}` : ''})`, false);
    echo.onerror = () => this.on.state('echo connection failed', false);
  }

  send(text: string, binary: boolean): void {
    if (this.echo?.readyState !== WebSocket.OPEN) return;
    this.echo.send(binary ? new TextEncoder().encode(text) : text);
  }

  close(): void {
    this.echo?.close(1000, 'bye');
    setTimeout(() => this.tap?.close(), 500);
  }
}
