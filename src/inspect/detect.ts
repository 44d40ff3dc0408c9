// One entry point for every input: detectAndInspect(bytes | text) recognises pcap, pcapng,
// HAR, hex dumps, bare hex, base64 and raw frame bytes, and returns one report shape.
//
//   bytes ─► pcap / pcapng magic? ─► inspectCapture (TCP reassembly, handshakes)
//         └► text? ─► HAR JSON ─► recorded messages
//                  └► hex dump (offsets) / bare hex / base64 ─► bytes ─┐
//         └► anything else: raw frame bytes ───────────────────────────┴► one stream
import { captureFormat } from './capture/pcap.js';
import { inspectCapture, numberFrames, type CaptureOptions } from './capture/session.js';
import { harEntries, inspectHar } from './capture/har.js';
import { isText, parseBareHex, parseBase64, parseOffsetDump } from './capture/text.js';
import { ConnectionInspector } from './capture/connection.js';
import { looksLikeHttp } from './capture/http.js';
import type { InspectionReport, InspectOptions, Role } from './types.js';

export type DetectOptions = Omit<InspectOptions, 'role'> & Pick<CaptureOptions, 'onFrames' | 'shard'> & {
  /** Who sent raw bytes (hex, base64, binary); guessed from the first MASK bit when absent. */
  role?: Role;
};

const utf8 = new TextDecoder();

/** The bytes a text input stands for, and its format; undefined when it is none of them. */
export function decodeTextInput(text: string): { format: string; bytes: Uint8Array } | undefined {
  const dump = parseOffsetDump(text);
  if (dump !== undefined) return { format: 'hex', bytes: dump };
  const hex = parseBareHex(text);
  if (hex !== undefined) return { format: 'hex', bytes: hex };
  const b64 = parseBase64(text);
  if (b64 !== undefined) return { format: 'base64', bytes: b64 };
  return undefined;
}

/** Inspects raw bytes sent by one side (or an HTTP upgrade followed by one side's frames). */
async function inspectRaw(bytes: Uint8Array, format: string, options: DetectOptions): Promise<InspectionReport> {
  const notes: string[] = [];
  let role = options.role;
  if (looksLikeHttp(bytes)) notes.push('the input starts with HTTP: the frames after the first blank line are read');
  let start = 0;
  if (looksLikeHttp(bytes)) {
    for (let i = 0; i + 3 < bytes.length; i++) {
      if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) { start = i + 4; break; }
    }
  }
  const frameBytes = bytes.subarray(start);
  if (role === undefined) {
    role = frameBytes.length >= 2 && (frameBytes[1] & 0x80) !== 0 ? 'client' : 'server';
    notes.push(`role not given: guessed '${role}' from the first frame's MASK bit (use --role)`);
  }
  const { role: _r, ...rest } = options;
  const connection = new ConnectionInspector(0, { ...rest, handshake: 'none' });
  await connection.push(role, frameBytes);
  const { report, problems } = await connection.finish();
  const frames = numberFrames(connection.frames);
  return {
    format, frames, notes,
    connections: [{ ...report, how: `raw bytes sent by the ${role}`, client: role === 'client' ? 'input' : '?', server: role === 'server' ? 'input' : '?' }],
    problems: problems.map((p) => ({ ...p, connection: 0 })),
  };
}

/**
 * Inspects any supported input: a capture, a HAR file, a hex dump, base64 or raw bytes.
 * With `onFrames`, the frames go there (see CaptureOptions) and the report's `frames` is empty;
 * `shard` applies to pcap and pcapng captures only.
 */
export async function detectAndInspect(input: Uint8Array | string, options: DetectOptions = {}): Promise<InspectionReport> {
  const { onFrames, shard: _shard, ...rest } = options;
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  if (captureFormat(bytes) !== undefined) return inspectCapture(bytes, options);
  const report = await inspectOther(input, bytes, rest);
  if (onFrames === undefined) return report;
  const startTime = report.startTime ?? report.frames.find((f) => f.time !== undefined)?.time;
  onFrames(report.frames, startTime === undefined ? { connections: report.connections.length } : { connections: report.connections.length, startTime });
  return { ...report, frames: [] };
}

async function inspectOther(input: Uint8Array | string, bytes: Uint8Array, options: DetectOptions): Promise<InspectionReport> {
  if (isText(bytes)) {
    const text = typeof input === 'string' ? input : utf8.decode(bytes);
    const entries = harEntries(text);
    if (entries !== undefined) return inspectHar(entries, options.maxViewBytes);
    const decoded = decodeTextInput(text);
    if (decoded !== undefined) {
      if (captureFormat(decoded.bytes) !== undefined) {
        const report = await inspectCapture(decoded.bytes, options);
        return { ...report, format: `${report.format} (${decoded.format})` };
      }
      return inspectRaw(decoded.bytes, decoded.format, options);
    }
  }
  return inspectRaw(bytes, 'binary', options);
}
