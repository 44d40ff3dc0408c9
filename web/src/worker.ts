// The decoding worker: loads the WebAssembly core once, then turns each input (a file, read
// here, or text) into a report off the page's main thread, and keeps it.
// The page gets what it shows, in pieces small enough that taking each in never blocks it:
//   meta (format, connections, problems, notes; every frame's detail when the report is
//   small) ─► rows, packed, ROWS_PER_MESSAGE at a time ─► end.
// Later it asks for one frame's detail, or for the frames whose message text has a string.
import { loadCore, createCodec } from '../../src/codec/index.js';
import { detectAndInspect, type DetectOptions } from '../../src/inspect/detect.js';
import { captureFormat } from '../../src/inspect/capture/pcap.js';
import { inspectCaptureStream } from '../../src/inspect/capture/streaming.js';
import type { InspectedFrame, InspectionReport, Role } from '../../src/inspect/types.js';
import { FrameStore, type PackedRows } from './store.js';

export type WorkerRequest =
  | { type: 'decode'; id: number; input: Blob | string; role?: Role }
  | { type: 'detail'; id: number; decode: number; pos: number }
  | { type: 'search'; id: number; decode: number; text: string };

export type WorkerReply =
  | { type: 'meta'; id: number; format: string; count: number; connections: InspectionReport['connections'];
    problems: InspectionReport['problems']; notes: string[]; frames?: InspectedFrame[]; core: string; simd: boolean }
  | { type: 'rows'; id: number; rows: PackedRows }
  | { type: 'end'; id: number }
  | { type: 'error'; id: number; error: string }
  | { type: 'detail'; id: number; frame: InspectedFrame }
  | { type: 'search'; id: number; hits: Uint32Array };

/** Rows per message (packed: the page takes 20,000 in within a few milliseconds). */
const ROWS_PER_MESSAGE = 20000;
/** A report this small travels whole, so the page shows details and searches without asking. */
const SMALL_FRAMES = 2000;
const SMALL_BYTES = 16 * 1024 * 1024;

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown, transfer?: Transferable[]): void };
const ready = loadCore().then(() => createCodec());
let current: { id: number; store: FrameStore } | undefined;
let latest = 0;

const post = (m: WorkerReply, transfer: Transferable[] = []): void => scope.postMessage(m, transfer);

async function decode(id: number, input: Blob | string, role: Role | undefined): Promise<void> {
  current = undefined;
  latest = id;
  const codec = await ready;
  const options: DetectOptions = { codec, detail: 'summary', hexBytes: 16, ...(role ? { role } : {}) };
  const report = (typeof input === 'string' ? undefined : await streamCapture(input, options))
    ?? await detectAndInspect(typeof input === 'string' ? input : new Uint8Array(await input.arrayBuffer()), options);
  if (latest !== id) return; // a newer input came in meanwhile
  const store = new FrameStore();
  store.add(report.frames, report.startTime);
  current = { id, store };
  const n = store.frames.length;
  const small = n <= SMALL_FRAMES && store.detailBytes() <= SMALL_BYTES;
  post({
    type: 'meta', id, format: report.format, count: n, connections: report.connections, problems: report.problems, notes: report.notes,
    core: codec.core, simd: codec.simd, ...(small ? { frames: store.frames.map((_, i) => store.detail(i)) } : {}),
  });
  for (let from = 0; from < n; from += ROWS_PER_MESSAGE) {
    const rows = store.rows(from, Math.min(n, from + ROWS_PER_MESSAGE));
    post({ type: 'rows', id, rows }, [rows.ends.buffer, rows.flags.buffer, rows.problems.buffer]);
  }
  post({ type: 'end', id });
}

/** Reads of a file's stream asked for ahead of the decoding. */
const READS_AHEAD = 4;

/**
 * A pcap or pcapng file decoded as it is read (see inspectCaptureStream): its stream's pieces
 * are copied into the decoder's buffer, and the file is never held whole. Undefined when the
 * file is not a capture or must be read whole. The reads asked for ahead are served when this
 * thread waits, not while it decodes (reading the whole stream alone took 100-160 ms here,
 * decoding from memory 230-250 ms, the two together 350-400 ms). On the machine of
 * bench/results/inspect.md (Chromium 150), this still took the page from about 0.56 s to
 * 0.48-0.50 s on the 100 MB capture against reading the file whole first; slices of it (1 or
 * 8 MiB, several at once), FileReaderSync, two streams at once, or the page reading the file
 * and moving its pieces here were no faster.
 */
async function streamCapture(file: Blob, options: DetectOptions): Promise<InspectionReport | undefined> {
  if (captureFormat(new Uint8Array(await file.slice(0, 4).arrayBuffer())) === undefined) return undefined;
  const pieces = file.stream().getReader();
  const ahead: Array<Promise<ReadableStreamReadResult<Uint8Array>>> = [];
  let rest: Uint8Array = new Uint8Array(0);
  let done = false;
  const read = async (buffer: Uint8Array, offset: number, length: number): Promise<number> => {
    let n = 0;
    while (n < length) {
      if (rest.length === 0) {
        if (done) break;
        while (ahead.length < READS_AHEAD) ahead.push(pieces.read());
        const next = await ahead.shift()!;
        if (next.done) { done = true; break; }
        rest = next.value;
      }
      const take = Math.min(rest.length, length - n);
      buffer.set(take === rest.length ? rest : rest.subarray(0, take), offset + n);
      rest = rest.subarray(take);
      n += take;
    }
    return n;
  };
  try {
    return await inspectCaptureStream(read, { ...options, readBytes: 1 << 20 });
  } finally {
    void pieces.cancel().catch(() => undefined);
  }
}

scope.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const r = event.data;
  try {
    if (r.type === 'decode') return await decode(r.id, r.input, r.role);
    if (current === undefined || current.id !== r.decode) throw new Error('that report is no longer loaded');
    if (r.type === 'detail') post({ type: 'detail', id: r.id, frame: current.store.detail(r.pos) });
    else {
      const hits = current.store.textMatches(r.text);
      post({ type: 'search', id: r.id, hits }, [hits.buffer]);
    }
  } catch (error) {
    post({ type: 'error', id: r.id, error: (error as Error).message });
  }
};
