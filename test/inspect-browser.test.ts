// The browser inspector in Debian's Chromium (playwright-core): the page served by the demo
// server loads the WebAssembly core, decodes a capture in its worker, shows rows, details
// and filters; the same page works from file://; live mode decodes the mirrored bytes of
// its own echo connection. Screenshots go to test/artifacts/ (git-ignored).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDemo } from '../src/demo/server.js';
import { buildFrame, packetsOf, tcpSession, upgradeRequest, upgradeResponse, utf8, writePcap } from './inspect-support.js';

const CHROMIUM = '/usr/bin/chromium';
const root = new URL('../', import.meta.url);
const artifacts = new URL('test/artifacts/', root);
const fixtures = new URL('test/fixtures/', root);

/** The test session; `midStream`: captured without the SYNs (the page must then read the file whole). */
function capture(midStream = false): Uint8Array {
  const key = [9, 8, 7, 6];
  const steps = [
    { from: 'client' as const, bytes: upgradeRequest() }, { from: 'server' as const, bytes: upgradeResponse() },
    { from: 'client' as const, bytes: buildFrame({ opcode: 1, payload: utf8('{"hello":"browser"}'), mask: key }) },
    { from: 'server' as const, bytes: buildFrame({ opcode: 1, payload: utf8('{"hello":"browser"}') }) },
    { from: 'client' as const, bytes: buildFrame({ opcode: 3, payload: utf8('??'), mask: key }) },
    { from: 'server' as const, bytes: buildFrame({ opcode: 8, payload: Uint8Array.from([0x03, 0xea]) }) },
  ];
  const segments = tcpSession(steps);
  return writePcap(1, packetsOf(midStream ? segments.slice(2) : segments, { ip: '10.1.1.1', port: 40000 }, { ip: '10.1.1.2', port: 8080 }, 'ethernet'));
}

describe.skipIf(!existsSync(CHROMIUM))(`browser inspector (Chromium; skipped when ${CHROMIUM} is missing)`, () => {
  let browser: Browser;
  let server: Server;
  let url: string;
  let page: Page;
  const pcapPath = fileURLToPath(new URL('browser.pcap', fixtures));
  const midStreamPath = fileURLToPath(new URL('browser-mid-stream.pcap', fixtures));

  beforeAll(async () => {
    execFileSync(process.execPath, [fileURLToPath(new URL('scripts/build-web.mjs', root))], { stdio: 'pipe' });
    mkdirSync(artifacts, { recursive: true });
    mkdirSync(fixtures, { recursive: true });
    writeFileSync(pcapPath, capture());
    writeFileSync(midStreamPath, capture(true));
    ({ server, url } = await startDemo({ port: 0, host: '127.0.0.1' }));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-quic'],
    });
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  const rows = (p: Page): Promise<string[][]> => p.$$eval('#frames tbody tr', (trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent ?? '')));

  it('loads the core, decodes a pcap in the worker, shows rows, details and filters', async () => {
    await page.goto(url);
    await page.waitForSelector('body[data-state=ready]');
    expect(await page.textContent('#core')).toMatch(/core: wasm/);
    await page.setInputFiles('#file', pcapPath);
    await page.waitForSelector('body[data-state=done]');
    expect(await page.textContent('#status')).toMatch(/pcap, 4 frames in \d+ ms \(worker\)/);
    const r = await rows(page);
    expect(r.map((c) => [c[0], c[3], c[4], c[6]])).toEqual([['1', 'C→S', 'text', '19'], ['2', 'S→C', 'text', '19'], ['3', 'C→S', 'reserved 0x3', '2'], ['4', 'S→C', 'close', '2']]);
    expect(r[0][7]).toBe('{"hello":"browser"}');
    expect(r[2][8]).toBe('INVALID_OPCODE');
    expect(r[3][7]).toBe('1002 Protocol error');
    await page.click('#frames tbody tr:nth-child(1)');
    const detail = await page.textContent('#detail');
    expect(detail).toContain('masking key');
    expect(detail).toContain('09 08 07 06');
    expect(await page.$$eval('#detail .hex span.f-key', (s) => s.length)).toBe(4);
    await page.click('#frames tbody tr:nth-child(3)');
    expect(await page.$$eval('#detail .hex span.bad', (s) => s.length)).toBe(1);
    await page.screenshot({ path: fileURLToPath(new URL('inspect-capture.png', artifacts)) });
    await page.selectOption('#fdir', 'server');
    expect((await rows(page)).map((c) => c[0])).toEqual(['2', '4']);
    await page.selectOption('#fdir', '');
    await page.check('#fproblems');
    expect((await rows(page)).map((c) => c[0])).toEqual(['3']);
    await page.uncheck('#fproblems');
    await page.fill('#fsearch', 'hello');
    expect((await rows(page)).map((c) => c[0])).toEqual(['1', '2']);
    await page.fill('#fsearch', '');
    // A capture begun mid-connection cannot be decoded as it is read: the worker reads it whole.
    await page.setInputFiles('#file', midStreamPath);
    await page.waitForFunction(() => document.body.dataset.state === 'done' && /mid-stream/.test(document.getElementById('status')?.textContent ?? ''));
    expect(await page.textContent('#status')).toMatch(/pcap, 4 frames in \d+ ms \(worker\)/);
    expect((await rows(page)).map((c) => [c[0], c[3], c[4], c[6]])).toEqual([['1', 'C→S', 'text', '19'], ['2', 'S→C', 'text', '19'], ['3', 'C→S', 'reserved 0x3', '2'], ['4', 'S→C', 'close', '2']]);
  });

  it('works offline from file:// (pasted hex, decoded in a worker)', async () => {
    const offline = await (await browser.newContext()).newPage();
    await offline.goto(new URL('web/dist/index.html', root).href);
    await offline.waitForSelector('body[data-state=ready]');
    expect(await offline.evaluate(() => document.compatMode)).toBe('CSS1Compat');
    await offline.fill('#paste', '00000000: 8185 0102 0304 4967 6f68 6e88 8001 0203  ......Igohn.....\n00000010: 04                                       .');
    await offline.click('#decode');
    await offline.waitForSelector('body[data-state=done]');
    expect(await offline.textContent('#status')).toMatch(/hex, 2 frames .*\(worker\)/);
    expect((await rows(offline)).map((c) => [c[4], c[7]])).toEqual([['text', 'Hello'], ['close', '(no status code)']]);
    await offline.close();
  });

  it('live mode: sends messages and decodes the mirrored wire bytes of both directions', async () => {
    await page.goto(url);
    await page.waitForSelector('body[data-state=ready]');
    await page.click('#connect');
    await page.waitForFunction(() => document.getElementById('livestate')?.textContent?.startsWith('open'));
    await page.fill('#message', 'Hello, live!');
    await page.click('#send');
    await page.fill('#message', '{"n":42}');
    await page.click('#send');
    await page.waitForFunction(() => document.querySelectorAll('#frames tbody tr').length >= 4);
    await page.click('#close');
    await page.waitForFunction(() => document.querySelectorAll('#frames tbody tr').length >= 6);
    const r = await rows(page);
    expect(r.map((c) => [c[3], c[4], c[7]])).toEqual([
      ['C→S', 'text', 'Hello, live!'], ['S→C', 'text', 'Hello, live!'],
      ['C→S', 'text', '{"n":42}'], ['S→C', 'text', '{"n":42}'],
      ['C→S', 'close', '1000 Normal Closure: bye'], ['S→C', 'close', '1000 Normal Closure: bye'],
    ]);
    expect(r[0][5]).toBe('FIN MASK');
    expect(r[1][5]).toBe('FIN');
    expect(r.every((c) => c[8] === '')).toBe(true);
    await page.click('#frames tbody tr:nth-child(1)');
    expect(await page.textContent('#detail')).toContain('masking key');
    await page.screenshot({ path: fileURLToPath(new URL('inspect-live.png', artifacts)) });
  });
});
