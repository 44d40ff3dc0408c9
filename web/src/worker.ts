// The decoding worker: loads the WebAssembly core once, then turns each input (a file, read
// here, or text) into a report off the page's main thread, and keeps it.
// The page gets what it shows, in pieces small enough that taking each in never blocks it:
//   meta (format, connections, problems, notes; every frame's detail when the report is
//   small) ─► rows, packed, ROWS_PER_MESSAGE at a time ─► end.
// Later it asks for one frame's detail, or for the frames whose message text has a string.
import { loadCore, createCodec } from '../../src/codec/index.js';
import { detectAndInspect } from '../../src/inspect/detect.js';
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
  const bytes = typeof input === 'string' ? input : new Uint8Array(await input.arrayBuffer());
  const codec = await ready;
  const report = await detectAndInspect(bytes, { codec, detail: 'summary', hexBytes: 16, ...(role ? { role } : {}) });
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
