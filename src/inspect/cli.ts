// `wsframe inspect FILE|-`: the inspector on the command line (Node only: files, stdin,
// node:zlib). Exit codes: 0 no problem found, 1 problems found, 2 usage error.
import { readFileSync } from 'node:fs';
import { detectAndInspect } from './detect.js';
import { zlibInflater } from './inflate-node.js';
import { formatJson, frameRows, problemCount, rowNumber, tableFoot, tableHead, tableLayout, type TableLayout } from './table.js';
import { frameOrder } from './capture/session.js';
import type { Role } from './types.js';

export const INSPECT_USAGE = `usage: wsframe inspect FILE|- [--format table|json] [--hex] [--role client|server]
  FILE   pcap, pcapng, HAR, hex dump (xxd, hexdump -C, Wireshark), bare hex, base64 or raw frame bytes
  -      read standard input
  --format table|json   output (default table)
  --hex                 show each frame's header bytes and fields
  --role client|server  who sent raw input (default: guessed from the MASK bit)`;

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
  const usage = (message: string): number => { io.stderr(`wsframe inspect: ${message}\n${INSPECT_USAGE}`); return 2; };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '-h') { io.stdout(INSPECT_USAGE); return 0; }
    if (a === '--hex') { hex = true; continue; }
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
  let bytes: Uint8Array;
  try {
    bytes = file === '-' ? await io.readStdin() : readFileSync(file);
  } catch (error) {
    return usage(`cannot read '${file}': ${(error as Error).message}`);
  }
  const options = { inflate: zlibInflater(), hexBytes: hex ? 256 : 32, ...(role ? { role } : {}) };
  if (format === 'json') {
    const report = await detectAndInspect(bytes, { ...options, detail: 'full' });
    for (const chunk of formatJson(report)) io.stdout(chunk);
    return problemCount(report) > 0 ? 1 : 0;
  }
  // The table: each frame's row is made as the frame is read and kept as UTF-8 bytes (a
  // large capture's frames and row strings are never all held); then the rows are put in
  // frame order, numbered, and written as one buffer.
  const rows = new RowBytes();
  const time: number[] = [];
  const packet: number[] = [];
  let problems = 0;
  let layout: TableLayout | undefined;
  const report = await detectAndInspect(bytes, {
    ...options, detail: 'summary',
    onFrames: (frames, context) => {
      layout ??= tableLayout(context.connections, context.startTime, { hex });
      for (const f of frames) {
        rows.add(frameRows(f, layout));
        time.push(f.time ?? 0);
        packet.push(f.packet ?? 0);
        problems += f.problems.length;
      }
    },
  });
  layout ??= tableLayout(report.connections.length, report.startTime, { hex });
  problems += report.problems.length;
  const out = rows.table(tableHead(layout), frameOrder(time, packet), tableFoot(report, rows.count, problems));
  if (io.stdoutBytes !== undefined) io.stdoutBytes(out);
  else io.stdout(new TextDecoder().decode(out));
  return problems > 0 ? 1 : 0;
}

/** Rows as UTF-8 in one growing buffer, each found by its start. */
class RowBytes {
  private buf = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  private readonly starts: number[] = [];

  get count(): number {
    return this.starts.length;
  }

  add(row: string): void {
    if (this.used + 3 * row.length > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.used + 3 * row.length));
      this.buf.copy(bigger, 0, 0, this.used);
      this.buf = bigger;
    }
    this.starts.push(this.used);
    this.used += this.buf.write(row, this.used);
  }

  /** `head`, the rows in `order` numbered from 1, and `foot`, a line each. */
  table(head: string, order: readonly number[], foot: string): Uint8Array {
    const n = this.starts.length;
    const out = Buffer.allocUnsafe(3 * (head.length + foot.length) + this.used + n * 16 + 2);
    let at = out.write(head, 0);
    for (let i = 0; i < n; i++) {
      const k = order[i];
      out[at++] = 0x0a;
      at += out.write(rowNumber(i + 1), at, 'latin1');
      at += this.buf.copy(out, at, this.starts[k], k + 1 < n ? this.starts[k + 1] : this.used);
    }
    out[at++] = 0x0a;
    at += out.write(foot, at);
    return out.subarray(0, at);
  }
}
