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
  // The table: each connection's frames become rows as they are read (a large capture's
  // frames are never all held), then the rows are put in frame order and numbered.
  const rows: string[] = [];
  const time: number[] = [];
  const packet: number[] = [];
  let problems = 0;
  let layout: TableLayout | undefined;
  const report = await detectAndInspect(bytes, {
    ...options, detail: 'summary',
    onFrames: (frames, context) => {
      layout ??= tableLayout(context.connections, context.startTime, { hex });
      for (const f of frames) {
        const row = frameRows(f, layout);
        rows.push(row);
        time.push(f.time ?? 0);
        packet.push(f.packet ?? 0);
        problems += f.problems.length;
      }
    },
  });
  layout ??= tableLayout(report.connections.length, report.startTime, { hex });
  const out = [tableHead(layout)];
  const order = frameOrder(time, packet);
  for (let i = 0; i < order.length; i++) out.push(rowNumber(i + 1) + rows[order[i]]);
  problems += report.problems.length;
  out.push(tableFoot(report, rows.length, problems));
  io.stdout(out.join('\n'));
  return problems > 0 ? 1 : 0;
}
