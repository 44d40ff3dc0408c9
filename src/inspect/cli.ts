// `wsframe inspect FILE|-`: the inspector on the command line (Node only: files, stdin,
// node:zlib). Exit codes: 0 no problem found, 1 problems found, 2 usage error.
import { closeSync, fstatSync, openSync, read as fsRead, readSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { detectAndInspect, type DetectOptions } from './detect.js';
import { zlibInflater } from './inflate-node.js';
import { clip, formatJson, frameRows, microseconds, problemCount, rowColumns, tableFoot, tableHead, tableLayout, type TableLayout } from './table.js';
import { frameOrder, mergeCaptureReports, type FrameContextInfo } from './capture/session.js';
import { captureFormat } from './capture/pcap.js';
import { PREVIEW_CHARS, WireFrame } from './frame.js';
import { inspectCaptureStream } from './capture/streaming.js';
import type { InspectedFrame, InspectionReport, Role } from './types.js';


export const INSPECT_USAGE = `usage: wsframe inspect FILE|- [--format table|json] [--hex] [--role client|server] [--threads N]
  FILE   pcap, pcapng, HAR, hex dump (xxd, hexdump -C, Wireshark), bare hex, base64 or raw frame bytes
  -      read standard input
  --format table|json   output (default table)
  --hex                 show each frame's header bytes and fields
  --role client|server  who sent raw input (default: guessed from the MASK bit)
  --threads N           decode a pcap/pcapng table on N threads, split by connection (default 1)`;

export interface CliIo {
  stdout: (text: string) => void;
  /** UTF-8 output already encoded, followed by a line end (default: decoded and given to `stdout`). */
  stdoutBytes?: (bytes: Uint8Array) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<Uint8Array>;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(parts);
}

let pipeWatched = false;

/** A reader that stops early (`wsframe inspect big.pcap | head`) ends the output quietly. */
function watchPipe(): void {
  if (pipeWatched) return;
  pipeWatched = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

export const processIo: CliIo = {
  stdout: (t) => { watchPipe(); process.stdout.write(`${t}\n`); },
  stdoutBytes: (b) => { watchPipe(); process.stdout.write(b); process.stdout.write('\n'); },
  stderr: (t) => { process.stderr.write(`${t}\n`); },
  readStdin: () => readAll(process.stdin),
};

/** Runs `inspect` with its arguments; resolves to the exit code. */
export async function runInspect(args: readonly string[], io: CliIo = processIo): Promise<number> {
  let format = 'table';
  let hex = false;
  let role: Role | undefined;
  let file: string | undefined;
  let threads: number | undefined;
  const usage = (message: string): number => { io.stderr(`wsframe inspect: ${message}\n${INSPECT_USAGE}`); return 2; };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '-h') { io.stdout(INSPECT_USAGE); return 0; }
    if (a === '--hex') { hex = true; continue; }
    if (a === '--threads') {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < 1 || v > 64) return usage(`--threads must be a whole number from 1 to 64 (got '${args[i] ?? ''}')`);
      threads = v;
      continue;
    }
    if (a === '--format' || a === '--role') {
      const v = args[++i];
      if (v === undefined) return usage(`${a} needs a value`);
      if (a === '--format') {
        if (v !== 'table' && v !== 'json') return usage(`--format must be 'table' or 'json' (got '${v}')`);
        format = v;
      } else {
        if (v !== 'client' && v !== 'server') return usage(`--role must be 'client' or 'server' (got '${v}')`);
        role = v;
      }
      continue;
    }
    if (a.startsWith('-') && a !== '-') return usage(`unknown option '${a}'`);
    if (file !== undefined) return usage('one input at a time');
    file = a;
  }
  if (file === undefined) return usage('no input given');
  const job: TableJob = { hex, ...(role ? { role } : {}) };
  // A capture file made into a table is read as it is decoded, in pieces; with --threads,
  // each thread reads it and decodes its share of the connections. Not the default: on the
  // 2-vCPU machine of bench/results/inspect.md (2026-12-04, medians of 7), a 100 MB capture
  // took 0.42 s on 2 threads and 0.33 s on 1 with 64 connections, 0.61 s and 0.54 s with
  // 1,000: the worker's start, its own JIT warm-up and the second read cost more than half
  // the decoding saves.
  if (format === 'table' && file !== '-') {
    const count = threads === undefined || threads === 1 || !isCaptureFile(file) ? 1 : threads;
    let parts: Array<TablePart | undefined>;
    try {
      parts = await shardedParts(job, count, { file }, (j) => streamedTablePart(file, j));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).syscall === undefined) throw error;
      return usage(`cannot read '${file}': ${(error as Error).message}`);
    }
    if (parts.every((p) => p !== undefined)) return writeTable(parts as TablePart[], hex, io);
  }
  // A file decoded on several threads is read into shared memory: the workers see the same
  // bytes, not copies.
  const shared = format === 'table' && threads !== undefined && threads > 1;
  let bytes: Uint8Array;
  try {
    bytes = file === '-' ? await io.readStdin() : readWhole(file, shared);
  } catch (error) {
    return usage(`cannot read '${file}': ${(error as Error).message}`);
  }
  if (format === 'json') {
    const report = await detectAndInspect(bytes, { ...inspectOptions(hex, role), detail: 'full' });
    for (const chunk of formatJson(report)) io.stdout(chunk);
    return problemCount(report) > 0 ? 1 : 0;
  }
  // The table: each frame's row is made as the frame is read and kept as UTF-8 bytes (a
  // large capture's frames and row strings are never all held); with --threads, a capture
  // is split by connection between threads. Then the rows are put in frame order,
  // numbered, and written as one buffer.
  const count = captureFormat(bytes) === undefined ? 1 : threads ?? 1;
  const input = count === 1 || bytes.buffer instanceof SharedArrayBuffer ? bytes : copyToShared(bytes);
  // Read whole, every part is made (undefined only from streaming).
  const parts = await shardedParts(job, count, { bytes: input }, (j) => tablePart(input, j)) as TablePart[];
  return writeTable(parts, hex, io);
}

/** The table in `count` parts split by connection: part 0 on this thread (`local`), the others on workers given `input`. */
async function shardedParts(
  job: TableJob, count: number, input: { file: string } | { bytes: Uint8Array }, local: (job: TableJob) => Promise<TablePart | undefined>,
): Promise<Array<TablePart | undefined>> {
  if (count === 1) return [await local(job)];
  const workers = Array.from({ length: count - 1 }, (_, k) => runShardWorker({ ...job, ...input, shard: { index: k + 1, count } }));
  return [await local({ ...job, shard: { index: 0, count } }), ...await Promise.all(workers)];
}

/** Writes the table of the parts' rows; returns the exit code. */
function writeTable(parts: readonly TablePart[], hex: boolean, io: CliIo): number {
  const report = parts.length === 1 ? parts[0].report : mergeCaptureReports(parts.map((p) => p.report));
  const context = parts.find((p) => p.context !== undefined)?.context;
  const layout = context === undefined ? tableLayout(report.connections.length, report.startTime, { hex })
    : tableLayout(context.connections, context.startTime, { hex });
  let problems = report.problems.length;
  for (const p of parts) problems += p.problems;
  const out = tableBytes(tableHead(layout), parts, tableFoot(report, parts.reduce((n, p) => n + p.starts.length, 0), problems));
  if (io.stdoutBytes !== undefined) io.stdoutBytes(out);
  else io.stdout(new TextDecoder().decode(out));
  return problems > 0 ? 1 : 0;
}

/** What both outputs inspect with: zlib for compressed messages, more hex with --hex. */
function inspectOptions(hex: boolean, role: Role | undefined): DetectOptions {
  return { inflate: zlibInflater(), hexBytes: hex ? 256 : 32, ...(role ? { role } : {}) };
}

/** The whole file (in shared memory when `shared`). */
function readWhole(file: string, shared: boolean): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const out = shared ? new Uint8Array(new SharedArrayBuffer(size)) : new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const n = readSync(fd, out, at, Math.min(size - at, 16 << 20), at);
      if (n <= 0) break;
      at += n;
    }
    return at === size ? out : out.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

function copyToShared(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

interface TableJob {
  hex: boolean;
  role?: Role;
  shard?: { index: number; count: number };
}

/** One thread's share of a table: its rows (UTF-8, one after another) and what orders them. */
interface TablePart {
  report: InspectionReport;
  context?: FrameContextInfo;
  rows: Uint8Array;
  /** Where each row starts in `rows` (it ends where the next starts). */
  starts: number[];
  time: number[];
  packet: number[];
  connection: number[];
  problems: number;
}

function tablePart(bytes: Uint8Array, job: TableJob): Promise<TablePart> {
  return makeTablePart(job, (options) => detectAndInspect(bytes, options)) as Promise<TablePart>;
}

/**
 * The table part of a pcap or pcapng file read in pieces as it is decoded (see
 * inspectCaptureStream); undefined when the file is not a capture or must be read whole.
 */
async function streamedTablePart(file: string, job: TableJob): Promise<TablePart | undefined> {
  const fd = openSync(file, 'r');
  try {
    if (!startsAsCapture(fd)) return undefined;
    let position = 0;
    // On libuv's thread pool: the next MiB of the file is read while this one is decoded
    // (on the machine of bench/results/inspect.md, 1 MiB beat 256 KiB, 512 KiB, 2 and 4 MiB,
    // and reading synchronously, by about 10 ms in 300).
    const read = (buffer: Uint8Array, offset: number, length: number): Promise<number> => new Promise((resolve, reject) => {
      fsRead(fd, buffer, offset, length, position, (error, n) => {
        if (error) { reject(error); return; }
        position += n;
        resolve(n);
      });
    });
    return await makeTablePart(job, (options) => inspectCaptureStream(read, { ...options, readBytes: 1 << 20 }));
  } finally {
    closeSync(fd);
  }
}

/** True when the file starts as a pcap or pcapng file does. */
function isCaptureFile(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    return startsAsCapture(fd);
  } finally {
    closeSync(fd);
  }
}

/** True when the open file's first bytes are a pcap or pcapng file's. */
function startsAsCapture(fd: number): boolean {
  const head = new Uint8Array(4);
  return captureFormat(head.subarray(0, readSync(fd, head, 0, 4, 0))) !== undefined;
}

/** Rows made from the frames that `inspect` hands over; undefined when it gives no report. */
async function makeTablePart(job: TableJob, inspect: (options: DetectOptions) => Promise<InspectionReport | undefined>): Promise<TablePart | undefined> {
  let buf = Buffer.allocUnsafe(1 << 20);
  let used = 0;
  const part: Omit<TablePart, 'report' | 'rows'> = { starts: [], time: [], packet: [], connection: [], problems: 0 };
  let layout: TableLayout | undefined;
  let writer: RowWriter | undefined;
  const options: DetectOptions = {
    ...inspectOptions(job.hex, job.role), detail: 'summary', lazyPreviews: true, ...(job.shard ? { shard: job.shard } : {}),
    onFrames: (frames, context) => {
      part.context ??= context;
      layout ??= tableLayout(context.connections, context.startTime, { hex: job.hex });
      writer ??= new RowWriter(layout);
      for (const f of frames) {
        // A plain row needs at most ROOM bytes; others are made as text first.
        const row = writer.plain(f) ? undefined : frameRows(f, layout);
        const room = row === undefined ? ROOM : 3 * row.length;
        if (used + room > buf.length) {
          const bigger = Buffer.allocUnsafe(Math.max(2 * buf.length, used + room));
          buf.copy(bigger, 0, 0, used);
          buf = bigger;
        }
        part.starts.push(used);
        used = row === undefined ? writer.write(buf, used, f) : used + buf.write(row, used);
        part.time.push(f.time ?? 0);
        part.packet.push(f.packet ?? 0);
        part.connection.push(f.connection);
        part.problems += f.problems.length;
      }
    },
  };
  const report = await inspect(options);
  // The rows as a Uint8Array of their own (a worker's part is posted: a pooled Buffer's memory is not transferable).
  return report === undefined ? undefined : { ...part, report, rows: new Uint8Array(buf.buffer, buf.byteOffset, used) };
}

/** Bytes a plain row can take: its columns (under 100) and a preview of at most 40 UTF-16 units (3 bytes each). */
const ROOM = 256;

/**
 * Writes the rows frameRows makes for plain frames (a time, no problems, no hex lines)
 * straight into bytes: the columns from Dir to Mask are encoded once for each kind of frame
 * (direction, opcode, flags), the time, connection and length are written digit by digit,
 * a preview that is the payload's first bytes is copied from the payload, and only other
 * previews go through the UTF-8 encoder.
 */
class RowWriter {
  /** The columns from Dir to Mask, by opcode and flags (the connection's number is written before them). */
  private readonly columns = new Map<number, Uint8Array>();
  /** The layout allows plain rows: times shown, no hex lines. */
  private readonly plainLayout: boolean;
  private readonly single: TableLayout;

  constructor(private readonly layout: TableLayout) {
    this.plainLayout = !layout.hex && layout.start !== undefined;
    this.single = { ...layout, multi: false };
  }

  plain(f: InspectedFrame): boolean {
    return this.plainLayout && f.kind === 'frame' && f.problems.length === 0 && !f.truncated && f.time !== undefined;
  }

  /** Writes a plain frame's row at `at` (ROOM bytes must be free); returns where it ends. */
  write(out: Buffer, at: number, f: InspectedFrame): number {
    const layout = this.layout;
    out[at++] = 0x20;
    at = writeTime(out, at, f.time! - layout.start!);
    out[at++] = 0x20;
    const bits = (f.fin ? 1 : 0) | (f.rsv1 ? 2 : 0) | (f.rsv2 ? 4 : 0) | (f.rsv3 ? 8 : 0) | (f.masked ? 16 : 0) | (f.direction === 'client' ? 32 : 0);
    if (layout.multi) {
      at = writeRight(out, at, f.connection, 4); // as rowColumns does
      out[at++] = 0x20;
    }
    const key = f.opcode * 64 + bits;
    let columns = this.columns.get(key);
    if (columns === undefined) this.columns.set(key, columns = Buffer.from(rowColumns(f, this.single)));
    for (let i = 0; i < columns.length; i++) out[at++] = columns[i];
    out[at++] = 0x20;
    at = writeRight(out, at, f.payloadLength, 8);
    if (WireFrame.previewIsPayload(f) && layout.width >= 1) return writePayloadPreview(out, at, f.payload, layout.width);
    const shown = clip(f.preview, layout.width).trimEnd();
    if (shown !== '') {
      out[at++] = 0x20;
      at += out.write(shown, at);
    }
    return at;
  }
}

/**
 * Writes ` ${clip(preview, width).trimEnd()}` (nothing when that is empty) for a preview that
 * is the payload's first bytes as they are (WireFrame.previewIsPayload): those bytes, then
 * '…' where the preview or the clip adds one; copied, not encoded from the string.
 */
function writePayloadPreview(out: Buffer, at: number, p: Uint8Array, width: number): number {
  const shown = Math.min(p.length, PREVIEW_CHARS);
  const more = p.length > PREVIEW_CHARS; // the preview ends with '…'
  const clipped = shown + (more ? 1 : 0) > width;
  let n = clipped ? width - 1 : shown;
  // trimEnd: printable ASCII has one blank, the space; a preview ending with '…' keeps its spaces.
  if (!clipped && !more) while (n > 0 && p[n - 1] === 0x20) n--;
  if (n === 0 && !clipped && !more) return at;
  out[at++] = 0x20;
  for (let i = 0; i < n; i++) out[at++] = p[i];
  if (clipped || more) { out[at++] = 0xe2; out[at++] = 0x80; out[at++] = 0xa6; } // '…'
  return at;
}

/** `head`, the rows of every part in frame order, numbered from 1, and `foot`, a line each. */
function tableBytes(head: string, parts: readonly TablePart[], foot: string): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.starts.length;
  const time = new Float64Array(n);
  const packet = new Float64Array(n);
  const connection = new Float64Array(n);
  // Row i of the whole is row rowOf[i] of part partOf[i].
  const partOf = new Uint16Array(n);
  const rowOf = new Uint32Array(n);
  let i = 0;
  parts.forEach((p, k) => {
    for (let r = 0; r < p.starts.length; r++, i++) {
      time[i] = p.time[r];
      packet[i] = p.packet[r];
      connection[i] = p.connection[r];
      partOf[i] = k;
      rowOf[i] = r;
    }
  });
  const order = frameOrder(time, packet, connection);
  const rows = parts.map((p) => p.rows);
  let size = 3 * (head.length + foot.length) + 2;
  for (const p of parts) size += p.rows.length + 24 * p.starts.length;
  const out = Buffer.allocUnsafe(size);
  let at = out.write(head, 0);
  for (let j = 0; j < n; j++) {
    const k = partOf[order[j]];
    const r = rowOf[order[j]];
    const starts = parts[k].starts;
    out[at++] = 0x0a;
    at = writeRight(out, at, j + 1, 6); // as rowNumber(j + 1)
    const from = rows[k];
    const end = r + 1 < starts.length ? starts[r + 1] : from.length;
    out.set(from.subarray(starts[r], end), at);
    at += end - starts[r];
  }
  out[at++] = 0x0a;
  at += out.write(foot, at);
  return out.subarray(0, at);
}

/**
 * Writes x.toFixed(6) right-aligned in 11 columns at `at` (exported for its test); returns
 * where it ends: digit by digit from microseconds(x) where it can, else through toFixed.
 */
export function writeTime(out: Uint8Array, at: number, x: number): number {
  const n = microseconds(x);
  if (n < 0) {
    const text = x.toFixed(6);
    for (let i = text.length; i < 11; i++) out[at++] = 0x20;
    for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
    return at;
  }
  const whole = Math.floor(n / 1e6);
  at = writeRight(out, at, whole, 4);
  out[at++] = 0x2e; // '.'
  let frac = n - whole * 1e6;
  for (let i = at + 5; i >= at; i--) { out[i] = 0x30 + (frac % 10); frac = Math.floor(frac / 10); }
  return at + 6;
}

/** Writes the whole number n right-aligned in `width` columns as ASCII at `at`; returns where it ends. */
function writeRight(out: Uint8Array, at: number, n: number, width: number): number {
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  for (let pad = width - digits; pad > 0; pad--) out[at++] = 0x20;
  let end = at + digits;
  for (let x = n; end > at; x = Math.floor(x / 10)) out[--end] = 0x30 + (x % 10);
  return at + digits;
}

const SHARD_JOB = 'wsframe-inspect-shard';

/** A shard's input: the bytes (shared memory), or the file, which the worker streams itself. */
type ShardJob = TableJob & ({ bytes: Uint8Array } | { file: string });

/**
 * Runs one shard in a worker thread running this module. Resolves to undefined when the
 * worker streamed the file and it must be read whole (see inspectCaptureStream).
 */
function runShardWorker(job: ShardJob): Promise<TablePart | undefined> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { kind: SHARD_JOB, ...job } });
    worker.once('message', (part: TablePart | null) => { resolve(part ?? undefined); void worker.terminate(); });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`inspect worker exited (${code}) before its shard was done`)));
  });
}

// In a worker started by runShardWorker: decode the shard, hand the rows back (moved, not copied).
if (!isMainThread && parentPort !== null && (workerData as { kind?: string } | null)?.kind === SHARD_JOB) {
  const job = workerData as ShardJob;
  const port = parentPort;
  void ('file' in job ? streamedTablePart(job.file, job) : tablePart(job.bytes, job)).then((part) => {
    if (part === undefined) port.postMessage(null);
    else port.postMessage(part, [part.rows.buffer as ArrayBuffer]); // the rows' buffer is the worker's own (not shared): moved, not copied
  });
}
