// permessage-deflate negotiation (RFC 7692 section 7.1): the server's choice among offers
// (acceptOffer), the client's offer (buildOffer) and its check of the answer (verifyAnswer),
// option validation, and the same through real handshakes.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as WsClient, WebSocketServer as WsServer } from 'ws';
import { parseExtensionHeader, type ExtensionOffer } from '../src/handshake.js';
import {
  acceptOffer, buildOffer, checkDeflateOptions, verifyAnswer,
  type DeflateParams, type PerMessageDeflateOptions,
} from '../src/extensions/negotiate.js';
import { WebSocket, WebSocketServer } from '../src/index.js';
import { Cleanup, listening, RawClient } from './deflate/util.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function offers(header: string): ExtensionOffer[] {
  const parsed = parseExtensionHeader(header);
  if (!parsed.ok) throw new Error(`test header does not parse: ${header}: ${parsed.message}`);
  return parsed.offers;
}

/** The server's answer to `header`, or null when it declines every offer. */
const answer = (header: string, options: PerMessageDeflateOptions = {}): string | null =>
  acceptOffer(offers(header), options)?.response ?? null;

const PMD = 'permessage-deflate';
const DEFAULTS: DeflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };

describe('acceptOffer: each parameter of RFC 7692 section 7.1', () => {
  it.each([
    [PMD, PMD, {}],
    [`${PMD}; server_no_context_takeover`, `${PMD}; server_no_context_takeover`, { serverNoContextTakeover: true }],
    [`${PMD}; client_no_context_takeover`, `${PMD}; client_no_context_takeover`, { clientNoContextTakeover: true }],
    // client_max_window_bits without a value: the client can limit its window; we don't ask it to.
    [`${PMD}; client_max_window_bits`, PMD, {}],
    [`${PMD};client_max_window_bits`, PMD, {}],
    [`${PMD} ; server_no_context_takeover ;client_no_context_takeover`, `${PMD}; server_no_context_takeover; client_no_context_takeover`,
      { serverNoContextTakeover: true, clientNoContextTakeover: true }],
    [`${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11`,
      `${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11`,
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 11 }],
    // Parameter order in the offer does not matter; the answer is canonical.
    [`${PMD}; client_max_window_bits=9; server_max_window_bits=12; client_no_context_takeover`,
      `${PMD}; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=9`,
      { clientNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 9 }],
    // A quoted value is its unescaped token (RFC 6455 section 9.1).
    [`${PMD}; server_max_window_bits="10"`, `${PMD}; server_max_window_bits=10`, { serverMaxWindowBits: 10 }],
    [`${PMD}; client_max_window_bits="12"`, `${PMD}; client_max_window_bits=12`, { clientMaxWindowBits: 12 }],
  ])('%s → %s', (offer, expected, params) => {
    const result = acceptOffer(offers(offer), {});
    expect(result?.response).toBe(expected);
    expect(result?.params).toEqual({ ...DEFAULTS, ...params });
  });

  for (const bits of [8, 9, 10, 11, 12, 13, 14, 15]) {
    it(`server_max_window_bits=${bits} and client_max_window_bits=${bits} are accepted as offered`, () => {
      const s = acceptOffer(offers(`${PMD}; server_max_window_bits=${bits}`), {});
      expect(s?.response).toBe(`${PMD}; server_max_window_bits=${bits}`);
      expect(s?.params.serverMaxWindowBits).toBe(bits);
      const c = acceptOffer(offers(`${PMD}; client_max_window_bits=${bits}`), {});
      expect(c?.response).toBe(`${PMD}; client_max_window_bits=${bits}`);
      expect(c?.params.clientMaxWindowBits).toBe(bits);
    });
  }

  // Each of these makes its offer unacceptable (RFC 7692 section 7: invalid value, unknown or
  // repeated parameter); alone nothing is accepted, followed by a plain offer that one wins.
  const BAD = [
    'server_max_window_bits=7', 'server_max_window_bits=16', 'server_max_window_bits=08', 'server_max_window_bits=0',
    'server_max_window_bits=015', 'server_max_window_bits=-9', 'server_max_window_bits=+9', 'server_max_window_bits=9.', 'server_max_window_bits=9.0',
    'server_max_window_bits=1e1', 'server_max_window_bits=0x9', 'server_max_window_bits=abc', 'server_max_window_bits=100',
    'server_max_window_bits', // a value is required in an offer
    'server_max_window_bits="08"', 'server_max_window_bits="7"',
    'client_max_window_bits=7', 'client_max_window_bits=16', 'client_max_window_bits=08', 'client_max_window_bits=0',
    'client_max_window_bits=x', 'client_max_window_bits="16"', 'client_max_window_bits=+10', 'client_max_window_bits=10.',
    'client_no_context_takeover=1', 'server_no_context_takeover=1', 'server_no_context_takeover=true',
    'client_no_context_takeover="x"',
    'unknown_param', 'foo=bar', 'x-webkit-deflate-frame', 'Server_No_Context_Takeover', 'max_window_bits=10',
    'server_no_context_takeover; server_no_context_takeover',
    'client_no_context_takeover; client_no_context_takeover',
    'server_max_window_bits=10; server_max_window_bits=10',
    'server_max_window_bits=10; server_max_window_bits=11',
    'client_max_window_bits; client_max_window_bits',
    'client_max_window_bits; client_max_window_bits=10',
    'server_no_context_takeover; unknown; client_no_context_takeover',
  ];
  it.each(BAD)('declines "%s" and takes the next acceptable offer', (param) => {
    expect(answer(`${PMD}; ${param}`)).toBeNull();
    expect(answer(`${PMD}; ${param}, ${PMD}; server_no_context_takeover`)).toBe(`${PMD}; server_no_context_takeover`);
    expect(answer(`${PMD}; ${param}, ${PMD}; ${param}`)).toBeNull();
    expect(answer(`${PMD}; ${param}, ${PMD}; ${param}, ${PMD}; client_max_window_bits=9`)).toBe(`${PMD}; client_max_window_bits=9`);
  });

  it('takes the first acceptable offer in order, skipping other extensions', () => {
    expect(answer(`foo, ${PMD}; bar, x-webkit-deflate-frame, ${PMD}; client_max_window_bits, ${PMD}; server_no_context_takeover`)).toBe(PMD);
    expect(answer(`${PMD}; server_max_window_bits=9, ${PMD}`)).toBe(`${PMD}; server_max_window_bits=9`);
    expect(answer('foo, bar; baz=1')).toBeNull();
    expect(answer(`${PMD}; server_max_window_bits=7, ${PMD}; server_max_window_bits=16, ${PMD}; server_max_window_bits=9`))
      .toBe(`${PMD}; server_max_window_bits=9`);
  });
});

describe('acceptOffer: server options', () => {
  it('serverNoContextTakeover: true adds server_no_context_takeover to every answer', () => {
    const r = acceptOffer(offers(PMD), { serverNoContextTakeover: true });
    expect(r?.response).toBe(`${PMD}; server_no_context_takeover`);
    expect(r?.params.serverNoContextTakeover).toBe(true);
  });

  it('serverNoContextTakeover: false declines offers that ask for it', () => {
    const o = { serverNoContextTakeover: false };
    expect(answer(`${PMD}; server_no_context_takeover`, o)).toBeNull();
    expect(answer(`${PMD}; server_no_context_takeover, ${PMD}; client_max_window_bits`, o)).toBe(PMD);
    expect(answer(`${PMD}; client_no_context_takeover`, o)).toBe(`${PMD}; client_no_context_takeover`);
  });

  it('clientNoContextTakeover: true asks the client not to keep its context', () => {
    const r = acceptOffer(offers(`${PMD}; client_max_window_bits`), { clientNoContextTakeover: true });
    expect(r?.response).toBe(`${PMD}; client_no_context_takeover`);
    expect(r?.params.clientNoContextTakeover).toBe(true);
    // Answering it is allowed even when the client did not offer it (RFC 7692 section 7.1.1.2).
    expect(answer(PMD, { clientNoContextTakeover: true })).toBe(`${PMD}; client_no_context_takeover`);
  });

  it('serverMaxWindowBits number: answered even when not offered, at most the offered value', () => {
    const o = { serverMaxWindowBits: 10 };
    expect(answer(PMD, o)).toBe(`${PMD}; server_max_window_bits=10`);
    expect(answer(`${PMD}; server_max_window_bits=12`, o)).toBe(`${PMD}; server_max_window_bits=10`);
    expect(answer(`${PMD}; server_max_window_bits=10`, o)).toBe(`${PMD}; server_max_window_bits=10`);
    // The client wants a smaller window than we are configured for: declined (as ws).
    expect(answer(`${PMD}; server_max_window_bits=9`, o)).toBeNull();
    expect(answer(`${PMD}; server_max_window_bits=9, ${PMD}; server_max_window_bits=11`, o)).toBe(`${PMD}; server_max_window_bits=10`);
    expect(acceptOffer(offers(`${PMD}; server_max_window_bits=14`), o)?.params.serverMaxWindowBits).toBe(10);
  });

  it('serverMaxWindowBits: false declines offers that limit the server window; true is the default', () => {
    expect(answer(`${PMD}; server_max_window_bits=10`, { serverMaxWindowBits: false })).toBeNull();
    expect(answer(`${PMD}; server_max_window_bits=10, ${PMD}`, { serverMaxWindowBits: false })).toBe(PMD);
    expect(answer(`${PMD}; server_max_window_bits=10`, { serverMaxWindowBits: true })).toBe(`${PMD}; server_max_window_bits=10`);
  });

  it('clientMaxWindowBits number: only when the client offered client_max_window_bits, at most its value', () => {
    const o = { clientMaxWindowBits: 10 };
    expect(answer(`${PMD}; client_max_window_bits`, o)).toBe(`${PMD}; client_max_window_bits=10`);
    expect(answer(`${PMD}; client_max_window_bits=12`, o)).toBe(`${PMD}; client_max_window_bits=10`);
    expect(answer(`${PMD}; client_max_window_bits=9`, o)).toBe(`${PMD}; client_max_window_bits=9`);
    expect(answer(PMD, o)).toBeNull();
    expect(answer(`${PMD}, ${PMD}; client_max_window_bits`, o)).toBe(`${PMD}; client_max_window_bits=10`);
    expect(acceptOffer(offers(`${PMD}; client_max_window_bits`), o)?.params.clientMaxWindowBits).toBe(10);
  });

  it('clientMaxWindowBits: true behaves as the default', () => {
    expect(answer(`${PMD}; client_max_window_bits`, { clientMaxWindowBits: true })).toBe(PMD);
    expect(answer(PMD, { clientMaxWindowBits: true })).toBe(PMD);
  });

  it('all options together', () => {
    const r = acceptOffer(offers(`${PMD}; server_max_window_bits=12; client_max_window_bits`), {
      serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 11, clientMaxWindowBits: 9,
    });
    expect(r?.response).toBe(`${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=9`);
    expect(r?.params).toEqual({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 11, clientMaxWindowBits: 9 });
  });
});

describe('buildOffer', () => {
  it.each<[PerMessageDeflateOptions, string]>([
    [{}, `${PMD}; client_max_window_bits`],
    [{ clientMaxWindowBits: true }, `${PMD}; client_max_window_bits`],
    [{ clientMaxWindowBits: false }, PMD],
    [{ clientMaxWindowBits: 10 }, `${PMD}; client_max_window_bits=10`],
    [{ serverMaxWindowBits: 9 }, `${PMD}; server_max_window_bits=9; client_max_window_bits`],
    [{ serverMaxWindowBits: true }, `${PMD}; client_max_window_bits`],
    [{ serverMaxWindowBits: false }, `${PMD}; client_max_window_bits`],
    [{ serverNoContextTakeover: true }, `${PMD}; server_no_context_takeover; client_max_window_bits`],
    [{ clientNoContextTakeover: true, clientMaxWindowBits: false }, `${PMD}; client_no_context_takeover`],
    [{ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 12 },
      `${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=12`],
    [{ threshold: 0, concurrencyLimit: 3, zlibDeflateOptions: { level: 1 } }, `${PMD}; client_max_window_bits`],
  ])('%j → %s', (options, expected) => {
    const offer = buildOffer(options);
    expect(offer).toBe(expected);
    // What we offer is something a conforming server (ours) can accept as is.
    expect(acceptOffer(offers(offer), {})).not.toBeNull();
  });
});

describe('verifyAnswer: the client accepts only what it offered (RFC 7692 section 7.1)', () => {
  const verify = (header: string, options: PerMessageDeflateOptions = {}): DeflateParams | string => verifyAnswer(offers(header), options);

  it.each<[string, PerMessageDeflateOptions, Partial<DeflateParams>]>([
    [PMD, {}, {}],
    [`${PMD}; client_max_window_bits=10`, {}, { clientMaxWindowBits: 10 }],
    [`${PMD}; client_max_window_bits=8`, {}, { clientMaxWindowBits: 8 }],
    // The server may limit its own window unasked (RFC 7692 section 7.1.2.1).
    [`${PMD}; server_max_window_bits=10`, {}, { serverMaxWindowBits: 10 }],
    // The server may use no context takeover unasked, and may ask us not to (7.1.1).
    [`${PMD}; server_no_context_takeover`, {}, { serverNoContextTakeover: true }],
    [`${PMD}; client_no_context_takeover`, {}, { clientNoContextTakeover: true }],
    [`${PMD}; server_no_context_takeover`, { serverNoContextTakeover: true }, { serverNoContextTakeover: true }],
    [`${PMD}; server_max_window_bits=10`, { serverMaxWindowBits: 10 }, { serverMaxWindowBits: 10 }],
    [`${PMD}; server_max_window_bits=9`, { serverMaxWindowBits: 10 }, { serverMaxWindowBits: 9 }],
    [`${PMD}; client_max_window_bits=10`, { clientMaxWindowBits: 10 }, { clientMaxWindowBits: 10 }],
    [`${PMD}; client_max_window_bits=9`, { clientMaxWindowBits: 10 }, { clientMaxWindowBits: 9 }],
    // We offered client_max_window_bits=10: that binds us even if the answer leaves it out (7.1.2.2).
    [PMD, { clientMaxWindowBits: 10 }, { clientMaxWindowBits: 10 }],
    [`${PMD}; client_max_window_bits="11"`, {}, { clientMaxWindowBits: 11 }],
    [`${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9`, {},
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 9 }],
  ])('accepts %s (offer %j)', (header, options, expected) => {
    expect(verify(header, options)).toEqual({ ...DEFAULTS, ...expected });
  });

  it.each<[string, PerMessageDeflateOptions, RegExp]>([
    [`${PMD}; unknown`, {}, /unknown/],
    [`${PMD}; foo=1`, {}, /unknown/],
    [`${PMD}; client_max_window_bits=10`, { clientMaxWindowBits: false }, /not offered/],
    [`${PMD}; client_max_window_bits=11`, { clientMaxWindowBits: 10 }, /above/],
    [`${PMD}; client_max_window_bits=15`, { clientMaxWindowBits: 9 }, /above/],
    [`${PMD}; server_max_window_bits=11`, { serverMaxWindowBits: 10 }, /above/],
    [`${PMD}; server_max_window_bits=15`, { serverMaxWindowBits: 9 }, /above/],
    // An offered server_max_window_bits is accepted by answering it (7.1.2.1).
    [PMD, { serverMaxWindowBits: 10 }, /server_max_window_bits/],
    [`${PMD}; client_max_window_bits`, {}, /client_max_window_bits/], // a value is required in an answer
    [`${PMD}; server_max_window_bits`, {}, /server_max_window_bits/],
    [`${PMD}; server_max_window_bits=7`, {}, /server_max_window_bits/],
    [`${PMD}; server_max_window_bits=16`, {}, /server_max_window_bits/],
    [`${PMD}; server_max_window_bits=08`, {}, /server_max_window_bits/],
    [`${PMD}; client_max_window_bits=7`, {}, /client_max_window_bits/],
    [`${PMD}; client_max_window_bits=016`, {}, /client_max_window_bits/],
    [`${PMD}; client_max_window_bits=+9`, {}, /client_max_window_bits/],
    [`${PMD}; server_max_window_bits=9.`, {}, /server_max_window_bits/],
    [`${PMD}; server_no_context_takeover=1`, {}, /value/],
    [`${PMD}; client_no_context_takeover=1`, {}, /value/],
    [`${PMD}; server_no_context_takeover; server_no_context_takeover`, {}, /repeated/],
    [`${PMD}; client_max_window_bits=9; client_max_window_bits=9`, {}, /repeated/],
    [PMD, { serverNoContextTakeover: true }, /server_no_context_takeover/],
    ['x-webkit-deflate-frame', {}, /not offered/],
    ['deflate-frame', {}, /not offered/],
    [`${PMD}, ${PMD}`, {}, /one extension/],
    [`${PMD}, foo`, {}, /one extension/],
    [`foo, ${PMD}`, {}, /one extension/],
  ])('rejects %s (offer %j)', (header, options, reason) => {
    const result = verify(header, options);
    expect(typeof result).toBe('string');
    expect(result).toMatch(reason);
  });

  it('rejects an empty answer list', () => {
    expect(typeof verifyAnswer([], {})).toBe('string');
  });
});

describe('negotiation round trip: what the client offers and the server answers agree', () => {
  // Every combination of client and server options: the server either declines, or answers
  // something the client accepts with the same parameters, none above what was offered.
  const clientSets: PerMessageDeflateOptions[] = [];
  for (const sNct of [undefined, true]) for (const cNct of [undefined, true])
    for (const sBits of [undefined, 9, 12, 15]) for (const cBits of [undefined, false, 9, 12, 15] as const) {
      clientSets.push({ serverNoContextTakeover: sNct, clientNoContextTakeover: cNct, serverMaxWindowBits: sBits, clientMaxWindowBits: cBits });
    }
  const serverSets: PerMessageDeflateOptions[] = [];
  for (const sNct of [undefined, true, false]) for (const cNct of [undefined, true])
    for (const sBits of [undefined, false, 10, 15] as const) for (const cBits of [undefined, 10, 15]) {
      serverSets.push({ serverNoContextTakeover: sNct, clientNoContextTakeover: cNct, serverMaxWindowBits: sBits, clientMaxWindowBits: cBits });
    }

  it(`${clientSets.length} client × ${serverSets.length} server option sets`, () => {
    let accepted = 0;
    for (const c of clientSets) {
      const offer = offers(buildOffer(c));
      for (const s of serverSets) {
        const result = acceptOffer(offer, s);
        if (result === null) continue;
        accepted++;
        const client = verifyAnswer(offers(result.response), c);
        const where = `client ${JSON.stringify(c)} server ${JSON.stringify(s)} answer "${result.response}"`;
        expect(client, where).toEqual(result.params);
        if (typeof c.serverMaxWindowBits === 'number') expect(result.params.serverMaxWindowBits, where).toBeLessThanOrEqual(c.serverMaxWindowBits);
        if (typeof c.clientMaxWindowBits === 'number') expect(result.params.clientMaxWindowBits, where).toBeLessThanOrEqual(c.clientMaxWindowBits);
        if (typeof s.serverMaxWindowBits === 'number') expect(result.params.serverMaxWindowBits, where).toBeLessThanOrEqual(s.serverMaxWindowBits);
        if (typeof s.clientMaxWindowBits === 'number') expect(result.params.clientMaxWindowBits, where).toBeLessThanOrEqual(s.clientMaxWindowBits);
        if (c.serverNoContextTakeover) expect(result.params.serverNoContextTakeover, where).toBe(true);
        if (s.serverNoContextTakeover === false) expect(result.params.serverNoContextTakeover, where).toBe(false);
        if (s.clientNoContextTakeover) expect(result.params.clientNoContextTakeover, where).toBe(true);
      }
    }
    expect(accepted).toBeGreaterThan(clientSets.length * serverSets.length / 3);
  });
});

describe('option validation', () => {
  it.each<[PerMessageDeflateOptions, RegExp]>([
    [{ serverMaxWindowBits: 7 }, /serverMaxWindowBits/],
    [{ serverMaxWindowBits: 16 }, /serverMaxWindowBits/],
    [{ serverMaxWindowBits: 9.5 }, /serverMaxWindowBits/],
    [{ serverMaxWindowBits: '10' as unknown as number }, /serverMaxWindowBits/],
    [{ serverMaxWindowBits: NaN }, /serverMaxWindowBits/],
    [{ clientMaxWindowBits: 0 }, /clientMaxWindowBits/],
    [{ clientMaxWindowBits: 16 }, /clientMaxWindowBits/],
    [{ clientMaxWindowBits: -1 }, /clientMaxWindowBits/],
    [{ threshold: -1 }, /threshold/],
    [{ threshold: 1.5 }, /threshold/],
    [{ threshold: Infinity }, /threshold/],
    [{ concurrencyLimit: 0 }, /concurrencyLimit/],
    [{ concurrencyLimit: 2.5 }, /concurrencyLimit/],
  ])('%j throws a RangeError naming the option', (options, name) => {
    expect(() => checkDeflateOptions(options)).toThrow(RangeError);
    expect(() => checkDeflateOptions(options)).toThrow(name);
    expect(() => new WebSocketServer({ noServer: true, perMessageDeflate: options })).toThrow(name);
    expect(() => new WebSocket('ws://127.0.0.1:1', { perMessageDeflate: options })).toThrow(name);
  });

  it.each<PerMessageDeflateOptions>([
    {}, { serverMaxWindowBits: 8 }, { serverMaxWindowBits: 15 }, { clientMaxWindowBits: true }, { clientMaxWindowBits: false },
    { serverMaxWindowBits: false }, { threshold: 0 }, { concurrencyLimit: 1 }, { serverNoContextTakeover: false },
  ])('%j is valid', (options) => {
    expect(() => checkDeflateOptions(options)).not.toThrow();
  });

  it('an invalid option throws before any server listens', async () => {
    expect(() => new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { serverMaxWindowBits: 16 } })).toThrow(RangeError);
  });
});

describe('through real handshakes', () => {
  it('our server answers the first acceptable raw offer, exactly', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
    const port = await listening(wss, cleanup);
    const seen: string[] = [];
    wss.on('connection', (ws) => { seen.push(ws.extensions); ws.on('error', () => {}); });
    const cases: Array<[string | string[], string | undefined]> = [
      [`${PMD}; server_max_window_bits=7, ${PMD}; client_max_window_bits=10`, `${PMD}; client_max_window_bits=10`],
      [`${PMD}; client_no_context_takeover=1, ${PMD}; server_no_context_takeover`, `${PMD}; server_no_context_takeover`],
      // Two header lines are one list (RFC 7230 section 3.2.2).
      [[`${PMD}; foo`, `${PMD}; server_max_window_bits=11`], `${PMD}; server_max_window_bits=11`],
      [`${PMD}; server_max_window_bits=16`, undefined],
      ['x-webkit-deflate-frame', undefined],
    ];
    for (const [offer, expected] of cases) {
      const raw = await RawClient.connect(port, cleanup, offer);
      expect(raw.status).toBe(101);
      expect(raw.extensions).toBe(expected);
      raw.socket.destroy();
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(cases.map(([, e]) => e ?? ''));
  });

  it('perMessageDeflate false (the server default) answers no extension', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    const port = await listening(wss, cleanup);
    const raw = await RawClient.connect(port, cleanup, PMD);
    expect(raw.status).toBe(101);
    expect(raw.extensions).toBeUndefined();
  });

  it('our client fails the handshake on an answer it did not offer (ws server with clientMaxWindowBits)', async () => {
    // ws's server answers client_max_window_bits only when offered; force it with the headers event.
    const wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
    const port = await listening(wss, cleanup);
    wss.on('headers', (headers: string[]) => {
      const i = headers.findIndex((h) => h.toLowerCase().startsWith('sec-websocket-extensions'));
      headers[i] = `Sec-WebSocket-Extensions: ${PMD}; client_max_window_bits=10; bogus`;
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: { clientMaxWindowBits: false } });
    const errors: Error[] = [];
    ws.on('error', (e) => errors.push(e));
    const code = await new Promise<number>((resolve) => ws.on('close', resolve));
    expect(code).toBe(1006);
    expect(errors[0]?.message).toMatch(/Sec-WebSocket-Extensions/);
    expect((errors[0] as Error & { code?: string }).code).toBe('WS_ERR_HANDSHAKE_UNEXPECTED_EXTENSION');
  });

  it.each<[PerMessageDeflateOptions, PerMessageDeflateOptions]>([
    [{}, {}],
    [{ serverNoContextTakeover: true, clientMaxWindowBits: 9 }, {}],
    [{}, { clientNoContextTakeover: true, serverMaxWindowBits: 10 }],
    [{ serverMaxWindowBits: 12, clientMaxWindowBits: 11 }, { serverMaxWindowBits: 9, clientMaxWindowBits: 10 }],
  ])('our client %j ↔ our server %j agree on the extension string and exchange messages', async (clientOptions, serverOptions) => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0, ...serverOptions } });
    const port = await listening(wss, cleanup);
    let serverSide = '';
    wss.on('connection', (ws) => {
      serverSide = ws.extensions;
      ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: { threshold: 0, ...clientOptions } });
    cleanup.add(() => ws.terminate());
    await once(ws, 'open');
    const expected = acceptOffer(offers(buildOffer({ threshold: 0, ...clientOptions })), serverOptions)!.response;
    expect(ws.extensions).toBe(expected);
    expect(serverSide).toBe(expected);
    const got = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
    ws.send('hello '.repeat(100));
    expect(await got).toBe('hello '.repeat(100));
  });

  it('ws client ↔ our server: the ws client accepts every answer we give to its offers', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0, serverMaxWindowBits: 11, clientMaxWindowBits: 10 } });
    const port = await listening(wss, cleanup);
    wss.on('connection', (ws) => ws.on('message', (d, b) => ws.send(d as Buffer, { binary: b })));
    const client = new WsClient(`ws://127.0.0.1:${port}`, { perMessageDeflate: { threshold: 0 } });
    cleanup.add(() => client.terminate());
    const [[res]] = await Promise.all([
      once(client, 'upgrade') as Promise<[{ headers: Record<string, string> }]>, once(client, 'open'),
    ]);
    expect(res.headers['sec-websocket-extensions']).toBe(`${PMD}; server_max_window_bits=11; client_max_window_bits=10`);
    client.send('x'.repeat(5000));
    const [data] = await once(client, 'message') as [Buffer];
    expect(String(data)).toBe('x'.repeat(5000));
  });
});
