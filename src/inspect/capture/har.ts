// HAR files (browser devtools "Save all as HAR"). Chromium records a WebSocket's traffic
// as `_webSocketMessages` on the upgrade request's entry: messages, not frames — already
// reassembled and inflated, with no header bytes, masks or control frames. They are shown
// as entries of kind 'message', never as frames.
//
//   { "type": "send" | "receive", "time": 1700000000.123, "opcode": 1 | 2, "data": "…" }
//   (text data as is; binary data base64)
import { payloadViews, printable, viewPreview } from '../payload.js';
import { bytesPreview, PREVIEW_CHARS } from '../frame.js';
import { opcodeName } from '../registry.js';
import type { ConnectionReport, InspectedFrame, InspectionReport } from '../types.js';
import { parseBase64 } from './text.js';
import { deflateFromResponse } from './http.js';

interface HarMessage { type?: string; time?: number; opcode?: number; data?: string }
interface HarHeader { name?: string; value?: string }
interface HarEntry {
  request?: { url?: string; method?: string; headers?: HarHeader[] };
  response?: { status?: number; headers?: HarHeader[] };
  _webSocketMessages?: HarMessage[];
  startedDateTime?: string;
}

const encoder = new TextEncoder();

/** The parsed HAR's entries, or undefined when `text` is not a HAR file. */
export function harEntries(text: string): HarEntry[] | undefined {
  const t = text.trimStart();
  if (!t.startsWith('{')) return undefined;
  try {
    const json = JSON.parse(t) as { log?: { entries?: unknown } };
    return Array.isArray(json.log?.entries) ? json.log.entries as HarEntry[] : undefined;
  } catch {
    return undefined;
  }
}

function header(headers: HarHeader[] | undefined, name: string): string | undefined {
  return headers?.find((h) => h.name?.toLowerCase() === name)?.value;
}

/** One recorded message as an entry of kind 'message'. */
function messageEntry(m: HarMessage, connection: number, maxView: number): InspectedFrame {
  const opcode = m.opcode ?? 1;
  const text = opcode === 1 ? m.data ?? '' : undefined;
  const data = text !== undefined ? encoder.encode(text) : parseBase64(m.data ?? '') ?? new Uint8Array(0);
  const views = payloadViews(data, text, maxView);
  const entry: InspectedFrame = {
    kind: 'message', index: 0, connection, direction: m.type === 'send' ? 'client' : 'server',
    offset: 0, headerLength: 0, fin: true, rsv1: false, rsv2: false, rsv3: false,
    opcode, opcodeName: opcodeName(opcode), masked: false, maskingKey: null, lengthEncoding: 7,
    payloadLength: data.length, fields: [], header: new Uint8Array(0), payload: data, truncated: false,
    preview: viewPreview(views, PREVIEW_CHARS) ?? (text !== undefined ? printable(text, PREVIEW_CHARS) : bytesPreview(data)),
    problems: [],
  };
  if (opcode === 1 || opcode === 2) {
    entry.message = {
      opcode, frames: 1, wireLength: data.length, data, compressed: false, inflated: false,
      ...(text === undefined ? {} : { text }), views,
    };
  }
  if (typeof m.time === 'number') entry.time = m.time;
  return entry;
}

/** Every WebSocket entry of a HAR file and its recorded messages. */
export function inspectHar(entries: HarEntry[], maxView = 1024 * 1024): InspectionReport {
  const frames: InspectedFrame[] = [];
  const connections: ConnectionReport[] = [];
  for (const e of entries) {
    const messages = e._webSocketMessages;
    const url = e.request?.url ?? '';
    if (!Array.isArray(messages) && !/^wss?:/i.test(url)) continue;
    const id = connections.length + 1;
    const extensions = header(e.response?.headers, 'sec-websocket-extensions');
    const protocol = header(e.response?.headers, 'sec-websocket-protocol');
    const deflate = deflateFromResponse(extensions);
    let sent = 0, received = 0;
    for (const m of messages ?? []) {
      const f = messageEntry(m, id, maxView);
      if (f.direction === 'client') sent += f.payload.length; else received += f.payload.length;
      frames.push(f);
    }
    connections.push({
      id, client: 'browser', server: url, websocket: true, how: 'HAR: recorded messages, not frames',
      request: `${e.request?.method ?? 'GET'} ${url}`, ...(e.response?.status ? { status: e.response.status } : {}),
      ...(extensions ? { extensions } : {}), ...(protocol ? { protocol } : {}), ...(deflate ? { deflate } : {}),
      bytes: { client: sent, server: received },
    });
  }
  const order = new Map(frames.map((f, i) => [f, i]));
  frames.sort((a, b) => (a.time ?? 0) - (b.time ?? 0) || order.get(a)! - order.get(b)!);
  frames.forEach((f, i) => { f.index = i + 1; });
  const notes = ['HAR files hold messages as the browser delivered them (reassembled, inflated), not wire frames: no header fields, masks or control frames to check'];
  const first = frames.find((f) => f.time !== undefined)?.time;
  const report: InspectionReport = { format: 'har', frames, connections, problems: [], notes };
  return first === undefined ? report : { ...report, startTime: first };
}
