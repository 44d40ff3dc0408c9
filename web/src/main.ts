// The inspector page: input (drop, pick, paste), decoding in a worker (in the page if no
// worker can start), the frame table with filters, the detail pane, and live mode.
import { loadCore, createCodec } from '../../src/codec/index.js';
import { detectAndInspect } from '../../src/inspect/detect.js';
import type { InspectedFrame, InspectionReport, Role } from '../../src/inspect/types.js';
import { renderDetail } from './render.js';
import { FrameStore } from './store.js';
import { Rows } from './rows.js';
import { FrameTable } from './table.js';
import { LiveSession } from './live.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

declare const WORKER_SOURCE: string;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** Where a frame's detail and text-search hits come from: here, or the worker holding the report. */
interface Source {
  /** Answers come from the worker (asynchronously). */
  readonly remote?: boolean;
  detail(pos: number): InspectedFrame | Promise<InspectedFrame>;
  textMatches(search: string): Uint32Array | Promise<Uint32Array>;
}

let rows = new Rows();
let source: Source | undefined;
let selection = 0;
const table = new FrameTable($('tablewrap'), $('frames') as HTMLTableElement, $('padtop'), $('padbottom'), (pos) => select(pos));

const codecReady = loadCore().then(() => createCodec());
codecReady.then((c) => { $('core').textContent = `core: ${c.core}${c.simd ? ' (SIMD)' : ''}`; document.body.dataset.state = 'ready'; },
  (e: Error) => { $('core').textContent = `core failed: ${e.message}`; });

// ── decoding: a worker from an inlined source (works from file://), else in the page ──
let worker: Worker | undefined;
try {
  worker = new Worker(URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' })));
} catch {
  worker = undefined;
}
let nextId = 0;
const handlers = new Map<number, (m: WorkerReply) => void>();
worker?.addEventListener('message', (e: MessageEvent<WorkerReply>) => handlers.get(e.data.id)?.(e.data));
worker?.addEventListener('error', (e) => {
  worker = undefined;
  for (const [id, handle] of handlers) handle({ type: 'error', id, error: `the worker failed: ${e.message}` });
  handlers.clear();
});

function ask(request: WorkerRequest, handle: (m: WorkerReply) => void, transfer: Transferable[] = []): void {
  handlers.set(request.id, handle);
  worker!.postMessage(request, transfer);
}

/** A report held by the worker: one request per detail or search. */
function remote(decode: number): Source {
  const request = <T>(r: WorkerRequest, pick: (m: WorkerReply) => T | undefined): Promise<T> => new Promise((resolve, reject) => {
    ask(r, (m) => {
      handlers.delete(r.id);
      const value = pick(m);
      if (value !== undefined) resolve(value);
      else reject(new Error(m.type === 'error' ? m.error : `unexpected ${m.type}`));
    });
  });
  return {
    remote: true,
    detail: (pos) => request({ type: 'detail', id: ++nextId, decode, pos }, (m) => (m.type === 'detail' ? m.frame : undefined)),
    textMatches: (text) => request({ type: 'search', id: ++nextId, decode, text }, (m) => (m.type === 'search' ? m.hits : undefined)),
  };
}

interface Meta { format: string; count: number; connections: InspectionReport['connections']; problems: InspectionReport['problems']; notes: string[] }

/** Clears the table for a new input. */
function reset(): void {
  ++selection;
  rows = new Rows();
  source = undefined;
  table.clear();
  $('detail').innerHTML = '<p class="muted">Select a frame.</p>';
}

function finish(label: string, meta: Meta, t0: number, how: string): void {
  $('status').textContent = `${label}: ${meta.format}, ${meta.count} ${meta.format === 'har' ? 'messages' : 'frames'} in ${(performance.now() - t0).toFixed(0)} ms${how}`;
  applyFilters(true);
  document.body.dataset.state = 'done';
}

function failed(message: string): void {
  $('status').textContent = `error: ${message}`;
  document.body.dataset.state = 'done';
}

function showNotes(m: Meta): void {
  const notes = [
    ...m.connections.map((c) => `connection ${c.id}: ${c.client} → ${c.server}, ${c.how}${c.extensions ? `, ${c.extensions}` : ''}${c.lost?.client ? `; client: ${c.lost.client.message}` : ''}${c.lost?.server ? `; server: ${c.lost.server.message}` : ''}`),
    ...m.problems.map((p) => `problem: ${p.message} [${p.rule}]`), ...m.notes.map((n) => `note: ${n}`),
  ];
  $('notes').replaceChildren(...notes.map((n) => Object.assign(document.createElement('div'), { textContent: n })));
}

let currentDecode = 0;

/** Decodes an input: in the worker (a file is read there, not here), else here. */
async function decode(input: Blob | string, label: string): Promise<void> {
  const role = ($('role') as HTMLSelectElement).value as Role | '';
  document.body.dataset.state = 'busy';
  $('status').textContent = `decoding ${label}…`;
  reset();
  const t0 = performance.now();
  if (worker !== undefined) {
    const id = currentDecode = ++nextId;
    let meta: Meta | undefined;
    ask({ type: 'decode', id, input, ...(role ? { role } : {}) }, (m) => {
      if (id !== currentDecode) { handlers.delete(id); return; }
      if (m.type === 'meta') {
        meta = m;
        showNotes(m);
        if (m.frames !== undefined) { const store = new FrameStore(); store.add(m.frames); source = store; } else source = remote(id);
      } else if (m.type === 'rows') {
        rows.append(m.rows);
        table.show(rows, passing(rows, filter(), undefined), true);
        $('status').textContent = `decoding ${label}… ${rows.count} of ${meta?.count ?? '?'} rows`;
      } else if (m.type === 'end') {
        handlers.delete(id);
        finish(label, meta!, t0, ' (worker)');
      } else if (m.type === 'error') {
        handlers.delete(id);
        failed(m.error);
      }
    });
    return;
  }
  const id = currentDecode = ++nextId;
  try {
    const bytes = typeof input === 'string' ? input : new Uint8Array(await input.arrayBuffer());
    const r = await detectAndInspect(bytes, { codec: await codecReady, detail: 'summary', ...(role ? { role } : {}) });
    if (id !== currentDecode) return;
    const store = new FrameStore();
    store.add(r.frames, r.startTime);
    source = store;
    rows.append(store.rows());
    const meta = { ...r, count: r.frames.length };
    showNotes(meta);
    finish(label, meta, t0, '');
  } catch (e) {
    failed((e as Error).message);
  }
}

async function select(pos: number): Promise<void> {
  const from = source;
  if (from === undefined) return;
  const mine = ++selection;
  table.select(pos);
  const pane = $('detail');
  const found = from.detail(pos);
  if (!(found instanceof Promise)) { renderDetail(pane, found); return; }
  pane.innerHTML = '<p class="muted">Loading…</p>';
  try {
    const f = await found;
    if (mine === selection) renderDetail(pane, f);
  } catch (e) {
    if (mine === selection) pane.textContent = `error: ${(e as Error).message}`;
  }
}

// ── filters: on the rows here; a search also looks in message text, asked of the source ──
interface Filter { dir: string; op: string; problems: boolean; search: string }

function filter(): Filter {
  return {
    dir: ($('fdir') as HTMLSelectElement).value, op: ($('fop') as HTMLSelectElement).value,
    problems: ($('fproblems') as HTMLInputElement).checked, search: ($('fsearch') as HTMLInputElement).value.toLowerCase(),
  };
}

/** The positions of the rows that pass `f` (`hits`: 1 for frames whose message text has the search); null: all. */
function passing(all: Rows, f: Filter, hits: Uint8Array | undefined): number[] | null {
  if (!f.dir && !f.op && !f.problems && !f.search) return null;
  const out: number[] = [];
  for (let i = 0; i < all.count; i++) {
    if (f.dir && all.direction(i) !== f.dir) continue;
    if (f.op) {
      const op = all.opcodeName(i);
      if (f.op === 'reserved' ? !op.startsWith('reserved') : op !== f.op) continue;
    }
    if (f.problems && all.problemCount(i) === 0) continue;
    if (f.search && !(hits !== undefined && hits[i] === 1) && !all.preview(i).toLowerCase().includes(f.search)) continue;
    out.push(i);
  }
  return out;
}

let filtering = 0;
let searchTimer: ReturnType<typeof setTimeout> | undefined;

function showFiltered(f: Filter, hits: Uint8Array | undefined, keepScroll: boolean): void {
  const shown = passing(rows, f, hits);
  table.show(rows, shown, keepScroll);
  const problems = rows.problems;
  $('summary').textContent = `${shown?.length ?? rows.count} of ${rows.count} shown, ${problems} problem${problems === 1 ? '' : 's'}`;
}

function mask(hits: Uint32Array): Uint8Array {
  const m = new Uint8Array(rows.count);
  for (const i of hits) m[i] = 1;
  return m;
}

/** Filters the rows: at once on what they hold; a search's hits in message text follow when the worker has them. */
function applyFilters(keepScroll = false): void {
  const f = filter();
  const mine = ++filtering;
  clearTimeout(searchTimer);
  const from = source;
  if (!f.search || from === undefined) { showFiltered(f, undefined, keepScroll); return; }
  if (!from.remote) { showFiltered(f, mask(from.textMatches(f.search) as Uint32Array), keepScroll); return; }
  showFiltered(f, undefined, keepScroll);
  // The worker reads every message's text for a search: ask once typing pauses.
  searchTimer = setTimeout(() => {
    void Promise.resolve(from.textMatches(f.search)).then((h) => { if (mine === filtering && from === source) showFiltered(f, mask(h), true); }, () => undefined);
  }, 200);
}

for (const id of ['fdir', 'fop', 'fproblems']) $(id).addEventListener('change', () => applyFilters());
$('fsearch').addEventListener('input', () => applyFilters());

// ── input ──
async function openFile(file: File): Promise<void> {
  await decode(file, file.name);
}
$('file').addEventListener('change', () => { const f = ($('file') as HTMLInputElement).files?.[0]; if (f) void openFile(f); });
$('decode').addEventListener('click', () => { const t = ($('paste') as HTMLTextAreaElement).value; if (t.trim()) void decode(t, 'pasted text'); });
const drop = $('drop');
document.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
document.addEventListener('dragleave', () => drop.classList.remove('over'));
document.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files[0];
  if (f) void openFile(f);
});

// ── live mode ──
const serverInput = $('server') as HTMLInputElement;
serverInput.value = location.protocol.startsWith('http') ? location.origin.replace(/^http/, 'ws') : 'ws://127.0.0.1:8080';
let live: LiveSession | undefined;
function liveControls(open: boolean): void {
  for (const id of ['message', 'binary', 'send', 'close']) ($(id) as HTMLInputElement).disabled = !open;
}
$('connect').addEventListener('click', async () => {
  const codec = await codecReady;
  reset();
  currentDecode = ++nextId; // an input still decoding no longer shows
  const store = new FrameStore();
  source = store;
  $('notes').textContent = 'live: frames decoded in this page from the raw bytes the demo server mirrors (both directions)';
  live = new LiveSession(serverInput.value.replace(/\/$/, ''), codec, {
    frames: (fs) => {
      if (source !== store) return;
      const from = rows.count;
      store.add(fs);
      rows.append(store.rows(from));
      applyFilters(true);
      $('summary').textContent = `${rows.count} frames (live)`;
    },
    state: (text, open) => { $('livestate').textContent = text; liveControls(open); },
  });
  live.start();
});
$('send').addEventListener('click', () => live?.send(($('message') as HTMLInputElement).value, ($('binary') as HTMLInputElement).checked));
$('message').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('send').click(); });
$('close').addEventListener('click', () => live?.close());
