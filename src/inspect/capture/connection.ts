// ConnectionInspector: both directions of one connection, from the first byte. Until the
// opening handshake is complete it buffers; the 101 response decides whether frames follow
// and with which permessage-deflate parameters; then each direction goes to its own
// StreamInspector. Used for captures (after TCP reassembly) and for the live tap.
//
//   client bytes ─► [request head] ─┐                  ┌─► StreamInspector(role client)
//   server bytes ─► [response head] ┴─ 101? deflate? ──┴─► StreamInspector(role server)
import { StreamInspector } from '../stream.js';
import type { ConnectionReport, FramingLoss, InspectedFrame, InspectOptions, Problem, Role } from '../types.js';
import { findUpgradeRequest, findUpgradeResponse, deflateFromResponse, type HttpHead } from './http.js';

export type ConnectionOptions = Omit<InspectOptions, 'role' | 'deflate'> & {
  /** 'expect': read the handshake first; 'none': frames from the first byte (mid-stream). */
  handshake?: 'expect' | 'none';
  /** Known deflate parameters, for handshake 'none'. */
  deflate?: InspectOptions['deflate'];
};

interface Held { data: Uint8Array; time?: number; packet?: number }

const MAX_HANDSHAKE = 64 * 1024;
const RESOLVED: Promise<void> = Promise.resolve();

function concat(parts: readonly Held[]): Uint8Array {
  if (parts.length === 1) return parts[0].data;
  let total = 0;
  for (const p of parts) total += p.data.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p.data, at); at += p.data.length; }
  return out;
}

export class ConnectionInspector {
  state: 'handshake' | 'frames' | 'not-websocket' = 'handshake';
  how = 'handshake';
  request?: HttpHead;
  response?: HttpHead;
  readonly frames: InspectedFrame[] = [];
  private readonly held: Record<Role, Held[]> = { client: [], server: [] };
  private readonly bytes: Record<Role, number> = { client: 0, server: 0 };
  /** When each side last sent (time and capture packet), as far as known. */
  private readonly last: Record<Role, { time?: number; packet?: number }> = { client: {}, server: {} };
  private inspectors?: Record<Role, StreamInspector>;
  /** See expectRequest. */
  private known?: HttpHead;
  private deflate?: ConnectionReport['deflate'];

  constructor(readonly id: number, private readonly options: ConnectionOptions = {}) {
    if (options.handshake === 'none') {
      this.how = 'mid-stream (no handshake captured)';
      this.start(options.deflate, options.deflate);
    }
  }

  /** Bytes sent by `direction`; resolves to the frames they completed. */
  async push(direction: Role, data: Uint8Array, time?: number, packet?: number): Promise<InspectedFrame[]> {
    // The frames these bytes made (calls may overlap: others' frames come after `end`).
    const first = this.frames.length;
    const pending = this.write(direction, data, time, packet);
    const end = this.frames.length;
    if (pending) await this.flush();
    return this.frames.slice(first, end);
  }

  /** `missing` bytes of `direction` are not in the capture. */
  async gap(direction: Role, missing: number, time?: number): Promise<InspectedFrame[]> {
    const first = this.frames.length;
    const pending = this.writeGap(direction, missing, time);
    const end = this.frames.length;
    if (pending) await this.flush();
    return this.frames.slice(first, end);
  }

  /**
   * The synchronous form of `push`: frames the bytes now (new frames are appended to
   * `frames`). True when compressed messages wait for inflation: call `flush()`.
   */
  write(direction: Role, data: Uint8Array, time?: number, packet?: number): boolean {
    this.bytes[direction] += data.length;
    this.seen(direction, time, packet);
    if (this.state === 'frames') return this.feed(direction, data, time, packet);
    if (this.state === 'not-websocket') return false;
    const held: Held = { data: this.options.transient ? data.slice() : data };
    if (time !== undefined) held.time = time;
    if (packet !== undefined) held.packet = packet;
    this.held[direction].push(held);
    return this.tryHandshake();
  }

  /** The synchronous form of `gap`. */
  writeGap(direction: Role, missing: number, time?: number): boolean {
    this.bytes[direction] += missing;
    this.seen(direction, time, undefined);
    if (this.state === 'handshake') {
      this.state = 'not-websocket';
      this.how = `bytes missing during the handshake (${direction})`;
      return false;
    }
    if (this.state !== 'frames') return false;
    const inspector = this.inspectors![direction];
    const first = inspector.frames.length;
    const pending = inspector.writeGap(missing, time);
    this.collect(inspector.frames, first);
    return pending;
  }

  /**
   * Hands over the frames made so far and forgets them (here and in each direction's
   * list), for callers that consume frames as they come, appended to `into` when given.
   * Call it after `flush`: until then a compressed message's last frame is not complete.
   */
  drain(into: InspectedFrame[] = []): InspectedFrame[] {
    for (const f of this.frames) into.push(f);
    this.frames.length = 0;
    if (this.inspectors !== undefined) {
      this.inspectors.client.frames.length = 0;
      this.inspectors.server.frames.length = 0;
    }
    return into;
  }

  /** See InspectOptions.recycle: the caller holds none of the frames drained so far. */
  recycle(): void {
    this.inspectors?.client.recycle();
    this.inspectors?.server.recycle();
  }

  /** recycle(), and each side lets go of its assembly buffer when nothing in it is unframed (see StreamInspector.release). */
  release(): void {
    this.inspectors?.client.release();
    this.inspectors?.server.release();
  }

  private seen(direction: Role, time: number | undefined, packet: number | undefined): void {
    const last = this.last[direction];
    if (time !== undefined) last.time = time;
    if (packet !== undefined) last.packet = packet;
  }

  /** Inflates what `write` left compressed (both directions, each in order). */
  flush(): Promise<void> {
    const sides = this.inspectors;
    // Nothing to inflate (the usual case): no promise of our own.
    if (sides === undefined || (sides.client.idle && sides.server.idle)) return RESOLVED;
    return Promise.all([sides.client.flush(), sides.server.flush()]).then(() => undefined);
  }

  /**
   * The upgrade request at the start of the client's bytes, where the caller has parsed it
   * already: taken instead of parsing it again once the bytes given hold all of it.
   */
  expectRequest(head: HttpHead): void {
    this.known = head;
  }

  /** No more bytes: the last frames, any truncation, and the summary. */
  async finish(): Promise<{ report: ConnectionReport; problems: Array<Problem & { direction: Role }> }> {
    const problems: Array<Problem & { direction: Role }> = [];
    const lost: { client?: FramingLoss; server?: FramingLoss } = {};
    if (this.state === 'handshake') {
      this.state = 'not-websocket';
      this.how = this.request ? 'upgrade request without a captured response' : 'no WebSocket handshake';
    }
    if (this.inspectors !== undefined) {
      for (const role of ['client', 'server'] as const) {
        // A frame cut off by the end of the capture was last added to when that side last sent.
        const before = this.inspectors[role].frames.length;
        const last = this.last[role];
        const result = await this.inspectors[role].finish(last.time);
        this.collect(result.frames, before, last.packet);
        for (const p of result.problems) problems.push({ ...p, direction: role });
        if (result.lost) lost[role] = result.lost;
      }
    }
    const h = this.response?.headers;
    const report: ConnectionReport = {
      id: this.id, client: '?', server: '?', websocket: this.inspectors !== undefined, how: this.how,
      ...(this.request ? { request: this.request.startLine } : {}),
      ...(this.response ? { status: Number(this.response.startLine.split(' ')[1]) } : {}),
      ...(h?.['sec-websocket-extensions'] ? { extensions: h['sec-websocket-extensions'] } : {}),
      ...(h?.['sec-websocket-protocol'] ? { protocol: h['sec-websocket-protocol'] } : {}),
      ...(this.deflate ? { deflate: this.deflate } : {}),
      bytes: { ...this.bytes },
      ...(lost.client || lost.server ? { lost } : {}),
    };
    return { report, problems };
  }

  private start(client: InspectOptions['deflate'], server: InspectOptions['deflate']): void {
    // The options as given (StreamInspector reads no 'handshake'), with each side's deflate.
    this.inspectors = {
      client: new StreamInspector({ ...this.options, role: 'client', deflate: client }),
      server: new StreamInspector({ ...this.options, role: 'server', deflate: server }),
    };
    this.state = 'frames';
  }

  /** Reads the handshake once both heads are in; true when inflation waits (see `write`). */
  private tryHandshake(): boolean {
    const client = concat(this.held.client);
    const server = concat(this.held.server);
    // The same bytes up to its end give the same head.
    this.request ??= this.known !== undefined && client.length >= this.known.end ? this.known : findUpgradeRequest(client);
    if (this.request === undefined) {
      if (client.length > MAX_HANDSHAKE) { this.state = 'not-websocket'; this.how = 'no WebSocket handshake'; }
      return false;
    }
    this.response ??= findUpgradeResponse(server);
    if (this.response === undefined) {
      if (server.length > MAX_HANDSHAKE) { this.state = 'not-websocket'; this.how = 'no 101 response in the first 64 KiB'; }
      return false;
    }
    const status = Number(this.response.startLine.split(' ')[1]);
    if (status !== 101) {
      this.state = 'not-websocket';
      this.how = `upgrade refused: ${this.response.startLine}`;
      return false;
    }
    const deflate = deflateFromResponse(this.response.headers['sec-websocket-extensions']);
    if (deflate) this.deflate = deflate;
    this.start(deflate?.client, deflate?.server);
    let pending = false;
    for (const [role, head] of [['server', this.response], ['client', this.request]] as const) {
      // Replay what followed each head, piece by piece, with the pieces' own times.
      let at = 0;
      for (const piece of this.held[role]) {
        const end = at + piece.data.length;
        if (end > head.end && this.feed(role, piece.data.subarray(Math.max(0, head.end - at)), piece.time, piece.packet)) pending = true;
        at = end;
      }
      this.held[role] = [];
    }
    return pending;
  }

  private feed(role: Role, data: Uint8Array, time?: number, packet?: number): boolean {
    const inspector = this.inspectors![role];
    const first = inspector.frames.length;
    const pending = inspector.write(data, time);
    this.collect(inspector.frames, first, packet);
    return pending;
  }

  /** Takes `frames[first..]` (new frames of one direction) into the connection's list. */
  private collect(frames: readonly InspectedFrame[], first: number, packet?: number): void {
    for (let i = first; i < frames.length; i++) {
      const f = frames[i];
      if (packet !== undefined) f.packet = packet;
      f.connection = this.id;
      this.frames.push(f);
    }
  }
}
