// The inspector page: input (drop, pick, paste), decoding in a worker (in the page if no
// worker can start), the frame table with filters, the detail pane, and live mode.
import { loadCore, createCodec } from '../../src/codec/index.js';
import { detectAndInspect } from '../../src/inspect/detect.js';
import type { InspectedFrame, InspectionReport, Role } from '../../src/inspect/types.js';
import { renderDetail, renderRows, row, MAX_ROWS } from './render.js';
import { LiveSession } from './live.js';

declare const WORKER_SOURCE: string;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const body = document.querySelector('#frames tbody') as HTMLTableSectionElement;
let frames: InspectedFrame[] = [];
let startTime: number | undefined;
let selected: HTMLTableRowElement | undefined;

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
const pending = new Map<number, (r: { report?: InspectionReport; error?: string }) => void>();
worker?.addEventListener('message', (e: MessageEvent<{ id: number; report?: InspectionReport; error?: string }>) => {
  pending.get(e.data.id)?.(e.data);
  pending.delete(e.data.id);
});
worker?.addEventListener('error', () => { worker = undefined; });

async function decode(input: Uint8Array | string, label: string): Promise<void> {
  const role = ($('role') as HTMLSelectElement).value as Role | '';
  document.body.dataset.state = 'busy';
  $('status').textContent = `decoding ${label}…`;
  const t0 = performance.now();
  let result: { report?: InspectionReport; error?: string };
  if (worker !== undefined) {
    const id = ++nextId;
    result = await new Promise((resolve) => { pending.set(id, resolve); worker!.postMessage({ id, input, ...(role ? { role } : {}) }); });
  } else {
    try {
      result = { report: await detectAndInspect(input, { codec: await codecReady, ...(role ? { role } : {}) }) };
    } catch (e) { result = { error: (e as Error).message }; }
  }
  document.body.dataset.state = 'done';
  if (result.report === undefined) { $('status').textContent = `error: ${result.error}`; return; }
  const r = result.report;
  $('status').textContent = `${label}: ${r.format}, ${r.frames.length} ${r.format === 'har' ? 'messages' : 'frames'} in ${(performance.now() - t0).toFixed(0)} ms${worker ? ' (worker)' : ''}`;
  show(r);
}

function show(r: InspectionReport): void {
  frames = r.frames;
  startTime = r.startTime ?? frames.find((f) => f.time !== undefined)?.time;
  const notes = [
    ...r.connections.map((c) => `connection ${c.id}: ${c.client} → ${c.server}, ${c.how}${c.extensions ? `, ${c.extensions}` : ''}${c.lost?.client ? `; client: ${c.lost.client.message}` : ''}${c.lost?.server ? `; server: ${c.lost.server.message}` : ''}`),
    ...r.problems.map((p) => `problem: ${p.message} [${p.rule}]`), ...r.notes.map((n) => `note: ${n}`),
  ];
  $('notes').replaceChildren(...notes.map((n) => Object.assign(document.createElement('div'), { textContent: n })));
  $('detail').innerHTML = '<p class="muted">Select a frame.</p>';
  applyFilters();
}

function matches(f: InspectedFrame): boolean {
  const dir = ($('fdir') as HTMLSelectElement).value;
  const op = ($('fop') as HTMLSelectElement).value;
  const search = ($('fsearch') as HTMLInputElement).value.toLowerCase();
  if (dir && f.direction !== dir) return false;
  if (op && (op === 'reserved' ? !f.opcodeName.startsWith('reserved') : f.opcodeName !== op)) return false;
  if (($('fproblems') as HTMLInputElement).checked && f.problems.length === 0) return false;
  if (search && !f.preview.toLowerCase().includes(search) && !(f.message?.text ?? '').toLowerCase().includes(search)) return false;
  return true;
}

function select(f: InspectedFrame, tr: HTMLTableRowElement): void {
  selected?.classList.remove('selected');
  selected = tr;
  tr.classList.add('selected');
  renderDetail($('detail'), f);
}

function applyFilters(): void {
  const shown = frames.filter(matches);
  renderRows(body, shown, startTime, select);
  const problems = frames.reduce((n, f) => n + f.problems.length, 0);
  $('summary').textContent = `${shown.length} of ${frames.length} shown${shown.length > MAX_ROWS ? ` (first ${MAX_ROWS})` : ''}, ${problems} problem${problems === 1 ? '' : 's'}`;
}

for (const id of ['fdir', 'fop', 'fproblems']) $(id).addEventListener('change', applyFilters);
$('fsearch').addEventListener('input', applyFilters);

// ── input ──
async function openFile(file: File): Promise<void> {
  await decode(new Uint8Array(await file.arrayBuffer()), file.name);
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
  frames = [];
  startTime = undefined;
  body.replaceChildren();
  $('notes').textContent = 'live: frames decoded in this page from the raw bytes the demo server mirrors (both directions)';
  live = new LiveSession(serverInput.value.replace(/\/$/, ''), codec, {
    frames: (fs) => {
      startTime ??= fs[0].time;
      for (const f of fs) { frames.push(f); if (matches(f)) body.append(row(f, startTime, select)); }
      $('summary').textContent = `${frames.length} frames (live)`;
    },
    state: (text, open) => { $('livestate').textContent = text; liveControls(open); },
  });
  live.start();
});
$('send').addEventListener('click', () => live?.send(($('message') as HTMLInputElement).value, ($('binary') as HTMLInputElement).checked));
$('message').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('send').click(); });
$('close').addEventListener('click', () => live?.close());
