// Runs bench/codec.bench.ts straight from the TypeScript sources (bundled with esbuild, so
// it works whether or not `tsc` over src passes right now), prints the Markdown and writes
// bench/results/codec.md and codec.json.
//   node bench/run.mjs            full run (a few minutes; use a quiet machine for figures)
//   node bench/run.mjs --quick    short run (indicative)
//   node bench/run.mjs --only unmask,utf8,parse,crossover   some suites, printed, not written
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',').filter(Boolean) : null;

// The embedded core must match assembly/: rebuild it when missing or older than its sources.
const generated = join(root, 'src', 'codec', 'core-wasm.generated.ts');
const sources = [
  ...readdirSync(join(root, 'assembly')).map((f) => join(root, 'assembly', f)),
  join(root, 'src', 'codec', 'layout.ts'),
];
if (!existsSync(generated) || sources.some((f) => statSync(f).mtimeMs > statSync(generated).mtimeMs)) {
  console.error('bench: building the WebAssembly core (src/codec/core-wasm.generated.ts is missing or stale)');
  execFileSync(process.execPath, [join(root, 'scripts', 'build-core.mjs')], { cwd: root, stdio: 'inherit' });
}

const outfile = join(root, 'bench', '.out', 'codec.bench.mjs');
await build({
  entryPoints: [join(root, 'bench', 'codec.bench.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  external: ['ws', 'bufferutil', 'utf-8-validate', 'tinybench', 'node-gyp-build'],
  logLevel: 'warning',
});
const { runCodecBench, SUITES } = await import(pathToFileURL(outfile).href);
for (const name of only ?? []) {
  if (!SUITES.includes(name)) throw new Error(`--only: unknown suite ${name} (one of ${SUITES.join(', ')})`);
}

const started = Date.now();
const { markdown, json } = runCodecBench({
  quick,
  only: only ?? SUITES,
  log: (line) => console.error(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`),
});
console.log(markdown);
if (only === null) {
  // A quick run writes beside the full run's results, not over them.
  const dir = join(root, 'bench', 'results', ...(quick ? ['quick'] : []));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'codec.md'), markdown);
  // Four significant digits are more than the run-to-run noise.
  const round = (_key, value) => (typeof value === 'number' && !Number.isInteger(value) ? Number(value.toPrecision(4)) : value);
  writeFileSync(join(dir, 'codec.json'), `${JSON.stringify(json, round, 1)}\n`);
  console.error(`bench: wrote bench/results/${quick ? 'quick/' : ''}codec.md and codec.json in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} else {
  console.error('bench: --only run, results not written');
}
