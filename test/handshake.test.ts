// Layer 4 (src/handshake.ts): the opening handshake of RFC 6455 section 4, as pure
// functions, plus interop against the `ws` package over 127.0.0.1.
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  acceptKey,
  buildAcceptResponse,
  buildClientRequestHeaders,
  buildRejectResponse,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_HEADER_COUNT,
  formatExtensionHeader,
  generateKey,
  isValidKey,
  parseExtensionHeader,
  parseProtocolHeader,
  parseTokenList,
  resolveUpgradeOptions,
  selectProtocol,
  validateUpgradeRequest,
  verifyServerResponse,
  type ExtensionOffer,
  type UpgradeRequestLike,
  type UpgradeRequestOptions,
} from '../src/handshake.js';

const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
// RFC 6455 section 1.3 (page 8). Not "s3pPLMBiTxaeg3w4d1jsgsfvm7k=": that value appears in
// no RFC text and is not SHA-1(key + GUID); the RFC also gives the digest in hex.
const RFC_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
const RFC_SHA1_HEX = 'b37a4f2cc0624f1690f64606cf385945b2bec4ea';
const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

const BASE: Array<[string, string]> = [
  ['Host', 'server.example.com'],
  ['Upgrade', 'websocket'],
  ['Connection', 'Upgrade'],
  ['Sec-WebSocket-Key', RFC_KEY],
  ['Sec-WebSocket-Version', '13'],
];

/**
 * A request shaped like Node's IncomingMessage: `rawHeaders` as sent, `headers` with
 * lower-case names and repeated fields joined with ", ". `change` replaces a base field
 * (`null` removes it, an array sends it several times); new names are appended.
 */
function makeReq(
  change: Record<string, string | string[] | null> = {},
  line: { method?: string; httpVersion?: string } = {},
): UpgradeRequestLike {
  const fields: Array<[string, string[]]> = BASE.map(([n, v]) => [n, [v]]);
  for (const [name, value] of Object.entries(change)) {
    const index = fields.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
    const values = value === null ? [] : Array.isArray(value) ? value : [value];
    if (index >= 0) fields[index] = [fields[index]![0], values];
    else fields.push([name, values]);
  }
  const rawHeaders: string[] = [];
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, values] of fields) {
    for (const v of values) rawHeaders.push(name, v);
    if (values.length > 0) headers[name.toLowerCase()] = values.join(', ');
  }
  return { method: line.method ?? 'GET', httpVersion: line.httpVersion ?? '1.1', headers, rawHeaders };
}

function rejected(req: UpgradeRequestLike, options?: UpgradeRequestOptions) {
  const result = validateUpgradeRequest(req, options);
  if (result.ok) throw new Error('expected a rejection');
  return result;
}

function accepted(req: UpgradeRequestLike, options?: UpgradeRequestOptions) {
  const result = validateUpgradeRequest(req, options);
  if (!result.ok) throw new Error(`expected success, got ${result.code}: ${result.message}`);
  return result;
}

function timed<T>(fn: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = fn();
  return { result, ms: performance.now() - start };
}

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

describe('RFC 6455 section 1.3 / 4.2.2: Sec-WebSocket-Accept', () => {
  it('pins the RFC example: dGhlIHNhbXBsZSBub25jZQ== -> s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', () => {
    expect(acceptKey(RFC_KEY)).toBe(RFC_ACCEPT);
    expect(Buffer.from(acceptKey(RFC_KEY), 'base64').toString('hex')).toBe(RFC_SHA1_HEX);
  });

  it('generateKey gives distinct canonical 16-byte keys (section 4.1 item 7)', () => {
    const keys = new Set(Array.from({ length: 64 }, generateKey));
    expect(keys.size).toBe(64);
    for (const key of keys) {
      expect(isValidKey(key)).toBe(true);
      expect(Buffer.from(key, 'base64')).toHaveLength(16);
    }
  });
});

describe('RFC 6455 section 4.2.1: validateUpgradeRequest', () => {
  it('accepts the RFC 1.2 example request and exposes key, version, protocols, extensions, origin', () => {
    const result = accepted(
      makeReq({
        Origin: 'http://example.com',
        'Sec-WebSocket-Protocol': 'chat, superchat',
        'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits',
      }),
    );
    expect(result.key).toBe(RFC_KEY);
    expect(result.version).toBe(13);
    expect([...result.protocols]).toEqual(['chat', 'superchat']);
    expect(result.extensions).toHaveLength(1);
    expect(result.extensions[0]!.name).toBe('permessage-deflate');
    expect(result.extensions[0]!.params.get('client_max_window_bits')).toBe(true);
    expect(result.origin).toBe('http://example.com');
  });

  it('leaves origin out and gives empty offers when the headers are absent', () => {
    const result = accepted(makeReq());
    expect('origin' in result).toBe(false);
    expect(result.protocols.size).toBe(0);
    expect(result.extensions).toEqual([]);
  });

  describe('item 1: method GET (405 with Allow, RFC 9110 section 15.5.6)', () => {
    it.each(['POST', 'get', 'HEAD', 'CONNECT', ''])('%j -> 405', (method) => {
      const r = rejected(makeReq({}, { method }));
      expect(r.status).toBe(405);
      expect(r.code).toBe('WS_ERR_HANDSHAKE_INVALID_METHOD');
      expect(r.message).toContain('GET');
      expect(r.headers).toEqual({ Allow: 'GET' });
    });
  });

  describe('item 1: HTTP/1.1 or later', () => {
    it.each(['1.0', '0.9', '', '1', '1.', '.1', 'x.y', '1.1.1', 'HTTP/1.1'])('%j -> 400', (httpVersion) => {
      const r = rejected(makeReq({}, { httpVersion }));
      expect(r.status).toBe(400);
      expect(r.code).toBe('WS_ERR_HANDSHAKE_INVALID_HTTP_VERSION');
      expect(r.message).toContain('HTTP/1.1');
    });
    it.each(['1.1', '1.2', '2.0', '3.0'])('%j is accepted', (httpVersion) => {
      expect(validateUpgradeRequest(makeReq({}, { httpVersion })).ok).toBe(true);
    });
  });

  describe('item 3: Upgrade contains the token websocket, case-insensitive', () => {
    it.each(['websocket', 'WebSocket', 'WEBSOCKET', 'foo, WebSocket', ' websocket\t', 'h2c/2 ,\twebsocket', ',websocket,'])(
      '%j is accepted',
      (value) => expect(validateUpgradeRequest(makeReq({ Upgrade: value })).ok).toBe(true),
    );
    it.each([null, '', 'h2c', 'websocket/13', 'web socket', 'websockets', 'foo websocket', 'websocket;x'])('%j -> 400', (value) => {
      const r = rejected(makeReq({ Upgrade: value }));
      expect(r.status).toBe(400);
      expect(r.code).toBe('WS_ERR_HANDSHAKE_MISSING_UPGRADE');
      expect(r.message).toContain('Upgrade header');
    });
    it('accepts the token in a second Upgrade field', () => {
      expect(validateUpgradeRequest(makeReq({ Upgrade: ['h2c', 'websocket'] })).ok).toBe(true);
    });
  });

  describe('item 4: Connection contains the token Upgrade, case-insensitive', () => {
    it.each(['Upgrade', 'upgrade', 'keep-alive, Upgrade', 'keep-alive,upgrade', 'Upgrade\t , close', ' , ,UPGRADE'])(
      '%j is accepted',
      (value) => expect(validateUpgradeRequest(makeReq({ Connection: value })).ok).toBe(true),
    );
    it.each([null, '', 'keep-alive', 'close', 'upgrades', 'keep-alive upgrade', 'Upgrade;q=1'])('%j -> 400', (value) => {
      const r = rejected(makeReq({ Connection: value }));
      expect(r.status).toBe(400);
      expect(r.code).toBe('WS_ERR_HANDSHAKE_MISSING_CONNECTION');
      expect(r.message).toContain('Connection header');
    });
  });

  describe('item 5: Sec-WebSocket-Key is the base64 of 16 bytes, sent once', () => {
    const bad: Array<[string, string]> = [
      ['short (10 bytes)', 'dGhlIHNhbXBsZQ=='],
      ['long (trailing data)', `${RFC_KEY}AAAA`],
      ['20 bytes', Buffer.alloc(20, 1).toString('base64')],
      ['15 bytes', Buffer.alloc(15, 1).toString('base64')],
      ['17 bytes', Buffer.alloc(17, 1).toString('base64')],
      ['not base64', '!!!!!!!!!!!!!!!!!!!!!!=='],
      ['base64url alphabet', 'dGhlIHNhbXBsZSBub25j-_=='],
      ['16 bytes, non-canonical pad bits (R instead of Q)', 'dGhlIHNhbXBsZSBub25jZR=='],
      ['16 bytes, non-canonical pad bits (B)', 'AAAAAAAAAAAAAAAAAAAAAB=='],
      ['one pad character', 'dGhlIHNhbXBsZSBub25jZQ='],
      ['no padding', 'dGhlIHNhbXBsZSBub25jZQ'],
      ['pad in the middle', 'dGhlIHNhbXBs=SBub25jZQ=='],
      ['inner space', 'dGhlIHNhbXBsZSB ub25jZQ=='],
      ['empty', ''],
      ['non-ASCII', 'dGhlIHNhbXBsZSBub25jZ\u00e9=='],
    ];
    it.each(bad)('%s -> 400', (_name, key) => {
      const r = rejected(makeReq({ 'Sec-WebSocket-Key': key }));
      expect(r.status).toBe(400);
      expect(r.code).toBe('WS_ERR_HANDSHAKE_INVALID_KEY');
      expect(r.message).toContain('16 bytes');
    });
    it('missing -> 400', () => {
      const r = rejected(makeReq({ 'Sec-WebSocket-Key': null }));
      expect([r.status, r.code]).toEqual([400, 'WS_ERR_HANDSHAKE_INVALID_KEY']);
      expect(r.message).toContain('Missing Sec-WebSocket-Key');
    });
    it('accepts the canonical last characters A, Q, g and w', () => {
      for (const c of 'AQgw') expect(validateUpgradeRequest(makeReq({ 'Sec-WebSocket-Key': `AAAAAAAAAAAAAAAAAAAAA${c}==` })).ok).toBe(true);
    });
    it('repeated field (even the same value twice) -> 400 duplicate, found from rawHeaders', () => {
      for (const keys of [[RFC_KEY, RFC_KEY], [RFC_KEY, generateKey()]]) {
        const r = rejected(makeReq({ 'Sec-WebSocket-Key': keys }));
        expect([r.status, r.code]).toEqual([400, 'WS_ERR_HANDSHAKE_DUPLICATE_HEADER']);
        expect(r.message).toContain('Sec-WebSocket-Key header appears 2 times');
      }
    });
    it('repeated field found from rawHeaders alone, even if headers holds one value', () => {
      const req = makeReq();
      const r = rejected({ ...req, rawHeaders: [...req.rawHeaders!, 'sec-websocket-KEY', RFC_KEY] });
      expect(r.code).toBe('WS_ERR_HANDSHAKE_DUPLICATE_HEADER');
    });
    it('repeated field found from a headers array when there is no rawHeaders', () => {
      const { rawHeaders: _, ...req } = makeReq();
      const r = rejected({ ...req, headers: { ...req.headers, 'sec-websocket-key': [RFC_KEY, RFC_KEY] } });
      expect(r.code).toBe('WS_ERR_HANDSHAKE_DUPLICATE_HEADER');
    });
  });

  describe('item 6 / section 4.2.2: Sec-WebSocket-Version 13, else 426 naming 13', () => {
    it.each([['8'], ['14'], ['12'], ['013'], ['13, 8'], ['13.0'], [''], ['thirteen']])('%j -> 426', (version) => {
      const r = rejected(makeReq({ 'Sec-WebSocket-Version': version }));
      expect(r.status).toBe(426);
      expect(r.code).toBe('WS_ERR_HANDSHAKE_INVALID_VERSION');
      expect(r.message).toContain('Unsupported Sec-WebSocket-Version');
      expect(r.headers).toEqual({ 'Sec-WebSocket-Version': '13' });
    });
    it('missing -> 426', () => {
      const r = rejected(makeReq({ 'Sec-WebSocket-Version': null }));
      expect([r.status, r.code]).toEqual([426, 'WS_ERR_HANDSHAKE_INVALID_VERSION']);
      expect(r.message).toContain('Missing Sec-WebSocket-Version');
      expect(r.headers).toEqual({ 'Sec-WebSocket-Version': '13' });
    });
    it('two fields 13 and 8 (Node shows "13, 8") -> 400 duplicate', () => {
      const r = rejected(makeReq({ 'Sec-WebSocket-Version': ['13', '8'] }));
      expect([r.status, r.code]).toEqual([400, 'WS_ERR_HANDSHAKE_DUPLICATE_HEADER']);
      expect(r.message).toContain('Sec-WebSocket-Version header appears 2 times');
    });
    it('OWS around 13 is not part of the value (RFC 7230 section 3.2.4)', () => {
      expect(validateUpgradeRequest(makeReq({ 'Sec-WebSocket-Version': ' 13\t' })).ok).toBe(true);
    });
  });

  describe('section 10.2: allowedOrigins', () => {
    const options = { allowedOrigins: ['https://app.example', 'http://localhost:3000'] };
    it('accepts a listed origin', () => {
      expect(accepted(makeReq({ Origin: 'http://localhost:3000' }), options).origin).toBe('http://localhost:3000');
    });
    it.each(['https://evil.example', 'https://APP.example', 'https://app.example/', 'null', 'https://app.example, https://evil.example'])(
      '%j -> 403',
      (origin) => {
        const r = rejected(makeReq({ Origin: origin }), options);
        expect([r.status, r.code]).toEqual([403, 'WS_ERR_HANDSHAKE_ORIGIN_NOT_ALLOWED']);
        expect(r.message).toContain('Origin not allowed');
      },
    );
    it('missing Origin -> 403', () => {
      const r = rejected(makeReq(), options);
      expect([r.status, r.code]).toEqual([403, 'WS_ERR_HANDSHAKE_ORIGIN_NOT_ALLOWED']);
      expect(r.message).toContain('Missing Origin');
    });
    it('two Origin fields (joined by Node) -> 403', () => {
      const r = rejected(makeReq({ Origin: ['https://app.example', 'https://app.example'] }), options);
      expect(r.status).toBe(403);
    });
  });

  describe('item 8: Sec-WebSocket-Protocol', () => {
    it.each([
      ['chat,superchat', ['chat', 'superchat']],
      [' chat ,\tsuperchat\t', ['chat', 'superchat']],
      [',chat,, ,superchat,', ['chat', 'superchat']],
      ['v1.chat.example.com', ['v1.chat.example.com']],
    ])('%j is parsed', (value, expected) => {
      expect([...accepted(makeReq({ 'Sec-WebSocket-Protocol': value })).protocols]).toEqual(expected);
    });
    it('repeated fields form one list (RFC 7230 section 3.2.2)', () => {
      expect([...accepted(makeReq({ 'Sec-WebSocket-Protocol': ['a', 'b'] })).protocols]).toEqual(['a', 'b']);
    });
    it.each([
      ['', 'the list is empty'],
      [' , ', 'the list is empty'],
      ['chat superchat', "unexpected character 's' (0x73) at index 5"],
      ['ch@t', "'@' (0x40) at index 2"],
      ['chat;q=1', 'at index 4'],
      ['"chat"', 'at index 0'],
      ['chat\u0000', '0x00 at index 4'],
      ['chat, chat', 'subprotocol "chat" is duplicated'],
    ])('%j -> 400', (value, message) => {
      const r = rejected(makeReq({ 'Sec-WebSocket-Protocol': value }));
      expect([r.status, r.code]).toEqual([400, 'WS_ERR_HANDSHAKE_INVALID_PROTOCOL_HEADER']);
      expect(r.message).toContain(message);
    });
  });

  describe('item 9: Sec-WebSocket-Extensions', () => {
    it('invalid syntax -> 400', () => {
      const r = rejected(makeReq({ 'Sec-WebSocket-Extensions': 'permessage-deflate; =1' }));
      expect([r.status, r.code]).toEqual([400, 'WS_ERR_HANDSHAKE_INVALID_EXTENSION_HEADER']);
      expect(r.message).toContain('expected a parameter name');
    });
    it('duplicate parameters are not a syntax error: flagged for the negotiation (RFC 7692 section 7)', () => {
      const offers = accepted(makeReq({ 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=10; server_max_window_bits=12' })).extensions;
      expect(offers[0]!.duplicateParams).toBe(true);
      expect(offers[0]!.params.get('server_max_window_bits')).toBe('10');
    });
  });

  describe('ws CVE-2024-37890: header count bounded (431), never a throw', () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`X-Filler-${i}`, 'x']));
    it(`accepts ${DEFAULT_MAX_HEADER_COUNT} fields, answers 431 at ${DEFAULT_MAX_HEADER_COUNT + 1}`, () => {
      expect(validateUpgradeRequest(makeReq(many(DEFAULT_MAX_HEADER_COUNT - BASE.length))).ok).toBe(true);
      const r = rejected(makeReq(many(DEFAULT_MAX_HEADER_COUNT - BASE.length + 1)));
      expect([r.status, r.code]).toEqual([431, 'WS_ERR_HANDSHAKE_TOO_MANY_HEADERS']);
      expect(r.message).toContain(`${DEFAULT_MAX_HEADER_COUNT + 1}, the limit is ${DEFAULT_MAX_HEADER_COUNT}`);
    });
    it('counts repeated fields one by one', () => {
      const r = rejected(makeReq({ Cookie: Array.from({ length: 100 }, () => 'a=b') }));
      expect(r.code).toBe('WS_ERR_HANDSHAKE_TOO_MANY_HEADERS');
    });
    it('honours options.maxHeaderCount', () => {
      expect(rejected(makeReq(), { maxHeaderCount: 4 }).status).toBe(431);
      expect(validateUpgradeRequest(makeReq(), { maxHeaderCount: 5 }).ok).toBe(true);
    });
    it('a request past Node maxHeadersCount, with Upgrade dropped from headers: 431, then 400 when unbounded', () => {
      // Node stops filling both objects at maxHeadersCount (2000): the fields after it vanish.
      const rawHeaders: string[] = [];
      for (let i = 0; i < 2000; i++) rawHeaders.push(`a${i}`, 'x');
      const req: UpgradeRequestLike = { method: 'GET', httpVersion: '1.1', headers: { connection: 'Upgrade' }, rawHeaders };
      const r = rejected(req);
      expect([r.status, r.code]).toEqual([431, 'WS_ERR_HANDSHAKE_TOO_MANY_HEADERS']);
      const unbounded = rejected(req, { maxHeaderCount: Infinity, maxHeaderBytes: Infinity });
      expect([unbounded.status, unbounded.code]).toEqual([400, 'WS_ERR_HANDSHAKE_MISSING_UPGRADE']);
    });
    it(`header bytes bounded by maxHeaderBytes (default ${DEFAULT_MAX_HEADER_BYTES}) -> 431`, () => {
      const r = rejected(makeReq({ Cookie: 'a'.repeat(DEFAULT_MAX_HEADER_BYTES) }));
      expect([r.status, r.code]).toEqual([431, 'WS_ERR_HANDSHAKE_HEADERS_TOO_LARGE']);
      expect(r.message).toContain(`the limit is ${DEFAULT_MAX_HEADER_BYTES}`);
      expect(validateUpgradeRequest(makeReq({ Cookie: 'a'.repeat(DEFAULT_MAX_HEADER_BYTES) }), { maxHeaderBytes: 2 * DEFAULT_MAX_HEADER_BYTES }).ok).toBe(true);
    });
  });

  describe('never throws on any request', () => {
    const inputs: unknown[] = [
      undefined,
      null,
      42,
      'GET',
      {},
      { method: 'GET' },
      { method: 'GET', httpVersion: '1.1', headers: null },
      { method: 'GET', httpVersion: '1.1', headers: 'upgrade: websocket' },
      { method: 'GET', httpVersion: '1.1', headers: { upgrade: 1, connection: {}, 'sec-websocket-key': [1, 2] } },
      { method: 'GET', httpVersion: '1.1', headers: { upgrade: [null], connection: [] }, rawHeaders: [1, 2, 3] },
      { method: 'GET', httpVersion: 1.1, headers: makeReq().headers },
      { method: Symbol('GET'), httpVersion: Symbol('1.1'), headers: makeReq().headers, rawHeaders: [Symbol('x'), {}] },
    ];
    it.each(inputs.map((input, i) => [i, input] as const))('input %i gives a rejection', (_i, input) => {
      const result = validateUpgradeRequest(input as UpgradeRequestLike);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.code).toMatch(/^WS_ERR_HANDSHAKE_[A-Z_]+$/);
    });
    it('reads own properties only: inherited header values do not count', () => {
      const headers = Object.assign(Object.create({ upgrade: 'websocket' }) as Record<string, string>, { connection: 'Upgrade' });
      expect(rejected({ method: 'GET', httpVersion: '1.1', headers }).code).toBe('WS_ERR_HANDSHAKE_MISSING_UPGRADE');
    });
    it('works without rawHeaders (counts the headers object)', () => {
      const { rawHeaders: _, ...req } = makeReq();
      expect(validateUpgradeRequest(req).ok).toBe(true);
      expect(rejected(req, { maxHeaderCount: 2 }).status).toBe(431);
    });
  });

  describe('options are resolved once and validated (STYLE.md rule 11)', () => {
    it.each([0, -1, 1.5, NaN, '100', null])('maxHeaderCount %j throws RangeError WS_ERR_INVALID_OPTION', (value) => {
      const err = thrown(() => resolveUpgradeOptions({ maxHeaderCount: value as number }));
      expect(err).toBeInstanceOf(RangeError);
      expect(err.code).toBe('WS_ERR_INVALID_OPTION');
      expect(err.message).toContain('positive integer or Infinity');
    });
    it('maxHeaderBytes is validated the same way', () => {
      expect(thrown(() => resolveUpgradeOptions({ maxHeaderBytes: 0 })).message).toContain('options.maxHeaderBytes');
    });
    it('allowedOrigins must be an array of strings', () => {
      const err = thrown(() => resolveUpgradeOptions({ allowedOrigins: 'https://a.example' as unknown as string[] }));
      expect([err instanceof TypeError, err.code]).toEqual([true, 'WS_ERR_INVALID_OPTION']);
    });
    it('defaults, and a resolved object is reused as is', () => {
      const resolved = resolveUpgradeOptions();
      expect(resolved).toEqual({ maxHeaderCount: 100, maxHeaderBytes: 16384, allowedOrigins: undefined });
      expect(resolveUpgradeOptions(resolved)).toBe(resolved);
      expect(validateUpgradeRequest(makeReq(), resolved).ok).toBe(true);
    });
  });
});

describe('RFC 7230 section 7: parseTokenList', () => {
  it.each([
    ['a', ['a']],
    ['a,b', ['a', 'b']],
    ['a , b', ['a', 'b']],
    ['\ta\t,\t\tb\t', ['a', 'b']],
    [', ,a,,\t,b, ,', ['a', 'b']],
    ['a, a', ['a', 'a']],
    ["!#$%&'*+-.^_`|~09azAZ", ["!#$%&'*+-.^_`|~09azAZ"]],
  ])('%j -> %j', (value, tokens) => {
    expect(parseTokenList(value)).toEqual({ ok: true, tokens });
  });
  it.each([
    ['', 'the list is empty'],
    [', \t,', 'the list is empty'],
    ['a b', "'b' (0x62) at index 2"],
    ['a;b', "';' (0x3B) at index 1"],
    ['a\r\nb', '0x0D at index 1'],
    ['(a)', "'(' (0x28) at index 0"],
    ['a,\u00ff', '0xFF at index 2'],
  ])('%j fails: %s', (value, message) => {
    const r = parseTokenList(value);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('WS_ERR_HANDSHAKE_INVALID_TOKEN_LIST');
      expect(r.message).toContain(message);
    }
  });
});

describe('RFC 6455 section 9.1: parseExtensionHeader', () => {
  const parse = (value: string): ExtensionOffer[] => {
    const r = parseExtensionHeader(value);
    if (!r.ok) throw new Error(r.message);
    return r.offers;
  };
  const plain = (offers: ExtensionOffer[]) => offers.map((o) => [o.name, [...o.params], o.duplicateParams]);

  it('parses offers, parameters with and without values, in order', () => {
    expect(plain(parse('permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate, x-foo'))).toEqual([
      ['permessage-deflate', [['client_max_window_bits', true], ['server_max_window_bits', '10']], false],
      ['permessage-deflate', [], false],
      ['x-foo', [], false],
    ]);
  });
  it('unescapes quoted values, which must be tokens', () => {
    expect(plain(parse('a; b="10"; c="\\1\\0"; d="x\\-y"'))).toEqual([['a', [['b', '10'], ['c', '10'], ['d', 'x-y']], false]]);
  });
  it('accepts OWS around ";" and "," and empty list elements (RFC 7230 section 7)', () => {
    expect(plain(parse(' ,\t, a \t;\t b=1 ;c ,, \t, d\t,'))).toEqual([
      ['a', [['b', '1'], ['c', true]], false],
      ['d', [], false],
    ]);
  });
  it('flags duplicate parameters and keeps the first value (RFC 7692 section 7)', () => {
    const [offer] = parse('a; b=1; c; b=2; c');
    expect(offer!.duplicateParams).toBe(true);
    expect([...offer!.params]).toEqual([['b', '1'], ['c', true]]);
  });
  it.each([
    ['', 'the list is empty'],
    [' , ,', 'the list is empty'],
    ['a b', "unexpected character 'b' (0x62) at index 2, expected ';' or ','"],
    [';a', "at index 0, expected an extension name"],
    ['a;', 'unexpected end of input at index 2, expected a parameter name'],
    ['a;;b', "';' (0x3B) at index 2, expected a parameter name"],
    ['a; b=', 'unexpected end of input at index 5, expected a parameter value'],
    ['a; b =1', "'=' (0x3D) at index 5"],
    ['a; b= 1', '0x20 at index 5, expected a parameter value'],
    ['a; b="1', 'unterminated quoted-string'],
    ['a; b="1\\', 'unterminated quoted-string'],
    ['a; b=""', 'expected a token inside the quoted-string'],
    ['a; b="x y"', '0x20 at index 7'],
    ['a; b="\\"x"', "'\"' (0x22) at index 7, expected a token character after the backslash"],
    ['a; b="\\\\"', "'\\' (0x5C) at index 7"],
    ['a; b="1"2', "'2' (0x32) at index 8"],
    ['a; b=1=2', "'=' (0x3D) at index 6"],
    ['a\u0000', '0x00 at index 1'],
    ['a; b=\u00e9', '0xE9 at index 5'],
    ['a\r\n; b', '0x0D at index 1'],
  ])('%j fails: %s', (value, message) => {
    const r = parseExtensionHeader(value);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('WS_ERR_HANDSHAKE_INVALID_EXTENSION_HEADER');
      expect(r.message).toContain(message);
    }
  });

  describe('formatExtensionHeader', () => {
    it('formats canonically and round-trips', () => {
      const text = 'permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-foo';
      const offers = parse(' permessage-deflate ;client_max_window_bits;server_max_window_bits="10",,x-foo ');
      expect(formatExtensionHeader(offers)).toBe(text);
      expect(plain(parse(formatExtensionHeader(offers)))).toEqual(plain(offers));
      expect(formatExtensionHeader([])).toBe('');
    });
    it.each([
      [{ name: 'a b', params: new Map() }],
      [{ name: '', params: new Map() }],
      [{ name: 'a', params: new Map([['b\r\nX', true]]) }],
      [{ name: 'a', params: new Map([['b', 'x y']]) }],
      [{ name: 'a', params: new Map([['b', '1\r\nInjected: yes']]) }],
      [{ name: 'a', params: new Map<string, string | true>([['b', '']]) }],
    ] as Array<[ExtensionOffer]>)('refuses %j (WS_ERR_INVALID_EXTENSION)', (offer) => {
      const err = thrown(() => formatExtensionHeader([offer]));
      expect([err instanceof TypeError, err.code]).toEqual([true, 'WS_ERR_INVALID_EXTENSION']);
    });
  });
});

describe('linear time on crafted headers', () => {
  const LIMIT_MS = 200;
  const big = { maxHeaderBytes: 8 * 1024 * 1024 };

  describe('ws CVE-2021-32640: Sec-WebSocket-Protocol with long whitespace runs', () => {
    it('"a" + 1 MB of spaces + "b" is rejected quickly', () => {
      const { result, ms } = timed(() => parseProtocolHeader(`a${' '.repeat(1 << 20)}b`));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toContain(`'b' (0x62) at index ${(1 << 20) + 1}`);
      expect(ms).toBeLessThan(LIMIT_MS);
    });
    it('"a," + 1 MB of " \\t" + ",b" is accepted quickly, also through validateUpgradeRequest', () => {
      const value = `a,${' \t'.repeat(1 << 19)},b`;
      const { result, ms } = timed(() => parseProtocolHeader(value));
      expect(result.ok && [...result.protocols]).toEqual(['a', 'b']);
      expect(ms).toBeLessThan(LIMIT_MS);
      const viaRequest = timed(() => validateUpgradeRequest(makeReq({ 'Sec-WebSocket-Protocol': value }), big));
      expect(viaRequest.result.ok && [...viaRequest.result.protocols]).toEqual(['a', 'b']);
      expect(viaRequest.ms).toBeLessThan(LIMIT_MS);
    });
    it('100 000 distinct subprotocols, and the same with one duplicate at the end', () => {
      const names = Array.from({ length: 100_000 }, (_, i) => `p${i}`);
      const ok = timed(() => parseProtocolHeader(names.join(', ')));
      expect(ok.result.ok && ok.result.protocols.size).toBe(100_000);
      const dup = timed(() => parseProtocolHeader(`${names.join(',')},p0`));
      expect(!dup.result.ok && dup.result.message).toContain('"p0" is duplicated');
      expect(ok.ms + dup.ms).toBeLessThan(2 * LIMIT_MS);
    });
    it('the default header limits answer 431 before parsing such a header', () => {
      expect(rejected(makeReq({ 'Sec-WebSocket-Protocol': `a${' '.repeat(1 << 20)}b` })).status).toBe(431);
    });
  });

  describe('Upgrade / Connection token lists and parseTokenList', () => {
    it('a 1 MB Connection list with the token last, and without it', () => {
      const hit = timed(() => validateUpgradeRequest(makeReq({ Connection: `${', \t'.repeat(1 << 18)}keep-alive, Upgrade` }), big));
      expect(hit.result.ok).toBe(true);
      const miss = timed(() => validateUpgradeRequest(makeReq({ Connection: `${'upgradf,'.repeat(1 << 17)}` }), big));
      expect(!miss.result.ok && miss.result.code).toBe('WS_ERR_HANDSHAKE_MISSING_CONNECTION');
      expect(hit.ms + miss.ms).toBeLessThan(LIMIT_MS);
    });
    it('parseTokenList over 1 MB of OWS and commas, then a bad character', () => {
      const { result, ms } = timed(() => parseTokenList(`a${' ,\t'.repeat(1 << 18)}b c`));
      expect(!result.ok && result.message).toContain(`'c' (0x63) at index ${3 * (1 << 18) + 3}`);
      expect(ms).toBeLessThan(LIMIT_MS);
    });
  });

  describe('faye CVE-2020-7662: Sec-WebSocket-Extensions quoted-string and parameter runs', () => {
    const cases: Array<[string, string, boolean]> = [
      ['unterminated "\\c\\c\\c…', `a; b="${'\\c'.repeat(1 << 19)}`, false],
      ['"\\\\\\\\…" (escaped backslashes)', `a; b="${'\\\\'.repeat(1 << 19)}"`, false],
      ['"\\"\\"…"', `a; b="${'\\"'.repeat(1 << 19)}`, false],
      ['"a;" repeated', 'a;'.repeat(1 << 19), false],
      ['"a; b" + spaces + "="', `a; b${' '.repeat(1 << 20)}=`, false],
      ['"a," + spaces and tabs between commas + "b"', `a${', \t'.repeat(1 << 18)}b`, true],
      ['1 MB of ";" after a name', `a${';'.repeat(1 << 20)}`, false],
    ];
    it.each(cases)('%s completes quickly with the right answer', (_name, value, ok) => {
      const { result, ms } = timed(() => parseExtensionHeader(value));
      expect(result.ok).toBe(ok);
      expect(ms).toBeLessThan(LIMIT_MS);
    });
    it('a terminated "\\c\\c…" quoted value of 512 KB unescapes to 256 K "c"', () => {
      const { result, ms } = timed(() => parseExtensionHeader(`a; b="${'\\c'.repeat(1 << 18)}"`));
      expect(result.ok && result.offers[0]!.params.get('b')).toBe('c'.repeat(1 << 18));
      expect(ms).toBeLessThan(LIMIT_MS);
    });
    it('"a; b" repeated 100 000 times flags duplicates, in one offer', () => {
      const { result, ms } = timed(() => parseExtensionHeader(`x${'; b'.repeat(100_000)}`));
      expect(result.ok && [result.offers.length, result.offers[0]!.duplicateParams]).toEqual([1, true]);
      expect(ms).toBeLessThan(LIMIT_MS);
    });
    it('200 000 offers through validateUpgradeRequest', () => {
      const { result, ms } = timed(() => validateUpgradeRequest(makeReq({ 'Sec-WebSocket-Extensions': 'e; p=1, '.repeat(200_000) }), big));
      expect(result.ok && result.extensions.length).toBe(200_000);
      expect(ms).toBeLessThan(2 * LIMIT_MS);
    });
  });
});

describe('Object.prototype names are plain names (Map/Set, null-prototype objects)', () => {
  it.each(PROTO_NAMES)('%s as a subprotocol, extension name and parameter name', (name) => {
    const req = makeReq({ 'Sec-WebSocket-Protocol': `${name}, other`, 'Sec-WebSocket-Extensions': `${name}; ${name}=${name}; x` });
    const result = accepted(req);
    expect([...result.protocols]).toEqual([name, 'other']);
    expect(selectProtocol(result.protocols, undefined, req)).toBe(name);
    const [offer] = result.extensions;
    expect(offer!.name).toBe(name);
    expect(offer!.params.get(name)).toBe(name);
    expect(offer!.duplicateParams).toBe(false);
    expect(formatExtensionHeader(result.extensions)).toBe(`${name}; ${name}=${name}; x`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it.each(PROTO_NAMES)('%s as an unoffered name is still unknown', (name) => {
    expect(accepted(makeReq({ 'Sec-WebSocket-Protocol': 'chat' })).protocols.has(name)).toBe(false);
    const verdict = verifyServerResponse(
      { statusCode: 101, headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': RFC_ACCEPT, 'sec-websocket-protocol': name, 'sec-websocket-extensions': name } },
      { key: RFC_KEY, protocols: ['chat'], extensions: [{ name: 'permessage-deflate', params: new Map() }] },
    );
    expect(verdict.ok).toBe(false);
  });
  it.each(PROTO_NAMES)('%s round-trips through the client request and the server response', (name) => {
    const headers = buildClientRequestHeaders({ key: RFC_KEY, host: 'h', protocols: [name], headers: { [name]: 'v' } });
    expect(Object.getPrototypeOf(headers)).toBe(null);
    expect(Object.hasOwn(headers, name) && headers[name]).toBe('v');
    expect(headers['Sec-WebSocket-Protocol']).toBe(name);
    const verdict = verifyServerResponse(
      { statusCode: 101, headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': RFC_ACCEPT, 'sec-websocket-protocol': name, 'sec-websocket-extensions': `${name}; ${name}` } },
      { key: RFC_KEY, protocols: [name], extensions: [{ name, params: new Map() }] },
    );
    expect(verdict.ok && [verdict.protocol, verdict.extensions[0]!.params.get(name)]).toEqual([name, true]);
  });
});

describe('RFC 6455 section 4.2.2: selectProtocol', () => {
  const offers = new Set(['chat', 'superchat']);
  const req = makeReq();
  it('defaults to the first offer (as ws does)', () => {
    expect(selectProtocol(offers, undefined, req)).toBe('chat');
  });
  it('returns the handler choice, given the offers and the request', () => {
    let seen: unknown[] = [];
    expect(selectProtocol(offers, (p, r) => ((seen = [[...p], r]), 'superchat'), req)).toBe('superchat');
    expect(seen).toEqual([['chat', 'superchat'], req]);
  });
  it.each([false, undefined, null, ''])('a handler answer of %j selects none', (answer) => {
    expect(selectProtocol(offers, () => answer as false, req)).toBeUndefined();
  });
  it('a handler answer that was not offered is ignored, even if the handler adds it to the set', () => {
    expect(selectProtocol(offers, () => 'other', req)).toBeUndefined();
    expect(selectProtocol(offers, (p) => (p.add('other'), 'other'), req)).toBeUndefined();
    expect(selectProtocol(offers, () => 'Chat', req)).toBeUndefined();
    expect([...offers]).toEqual(['chat', 'superchat']);
  });
  it('no offers: none, and the handler is not called', () => {
    let called = false;
    expect(selectProtocol(new Set(), () => ((called = true), 'x'), req)).toBeUndefined();
    expect(called).toBe(false);
  });
  it('a throwing handler propagates (application bug)', () => {
    expect(() => selectProtocol(offers, () => { throw new Error('boom'); }, req)).toThrow('boom');
  });
});

describe('RFC 6455 section 4.2.2: buildAcceptResponse', () => {
  it('writes the exact 101 response', () => {
    expect(buildAcceptResponse({ accept: RFC_ACCEPT })).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' + `Sec-WebSocket-Accept: ${RFC_ACCEPT}\r\n\r\n`,
    );
  });
  it('adds protocol, extensions, then extra headers (arrays repeat the field)', () => {
    const text = buildAcceptResponse({
      accept: RFC_ACCEPT,
      protocol: 'chat',
      extensions: [{ name: 'permessage-deflate', params: new Map<string, string | true>([['server_no_context_takeover', true], ['client_max_window_bits', '10']]) }],
      headers: { 'X-Server': 'wsframe', 'Set-Cookie': ['a=1', 'b=2'], 'X-Count': 3 },
    });
    expect(text).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${RFC_ACCEPT}\r\nSec-WebSocket-Protocol: chat\r\n` +
        'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=10\r\n' +
        'X-Server: wsframe\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Count: 3\r\n\r\n',
    );
  });
  it('omits an empty protocol and an empty extension list', () => {
    expect(buildAcceptResponse({ accept: RFC_ACCEPT, protocol: '', extensions: [] })).toBe(buildAcceptResponse({ accept: RFC_ACCEPT }));
  });
  it.each([
    ['CRLF in a value', { 'X-A': 'v\r\nSet-Cookie: evil=1' }, 'WS_ERR_INVALID_HEADER_VALUE'],
    ['LF in a value', { 'X-A': 'v\nX-B: 1' }, 'WS_ERR_INVALID_HEADER_VALUE'],
    ['bare CR in a value', { 'X-A': 'v\rX' }, 'WS_ERR_INVALID_HEADER_VALUE'],
    ['NUL in a value', { 'X-A': 'v\u0000' }, 'WS_ERR_INVALID_HEADER_VALUE'],
    ['non-ASCII in a value', { 'X-A': 'caf\u00e9' }, 'WS_ERR_INVALID_HEADER_VALUE'],
    ['CRLF in an array element', { 'X-A': ['ok', 'v\r\n\r\n<html>'] }, 'WS_ERR_INVALID_HEADER_VALUE'],
    ['undefined value', { 'X-A': undefined as unknown as string }, 'WS_ERR_INVALID_HEADER_VALUE'],
    ['NaN value', { 'X-A': NaN }, 'WS_ERR_INVALID_HEADER_VALUE'],
    ['CRLF in a name', { 'X-A\r\nX-B': 'v' }, 'WS_ERR_INVALID_HEADER_NAME'],
    ['colon in a name', { 'X-A: v\r\nX-B': 'v' }, 'WS_ERR_INVALID_HEADER_NAME'],
    ['space in a name', { 'X A': 'v' }, 'WS_ERR_INVALID_HEADER_NAME'],
    ['empty name', { '': 'v' }, 'WS_ERR_INVALID_HEADER_NAME'],
    ['Connection override', { connection: 'close' }, 'WS_ERR_RESERVED_HEADER'],
    ['Sec-WebSocket-Accept override', { 'SEC-WEBSOCKET-ACCEPT': 'x' }, 'WS_ERR_RESERVED_HEADER'],
    ['Content-Length on a 101', { 'Content-Length': '5' }, 'WS_ERR_RESERVED_HEADER'],
  ])('refuses %s', (_name, headers, code) => {
    const err = thrown(() => buildAcceptResponse({ accept: RFC_ACCEPT, headers }));
    expect([err instanceof TypeError, err.code]).toEqual([true, code]);
  });
  it('refuses a non-token protocol and an injected accept value', () => {
    const p = thrown(() => buildAcceptResponse({ accept: RFC_ACCEPT, protocol: 'chat\r\nX-Evil: 1' }));
    expect([p instanceof TypeError, p.code]).toEqual([true, 'WS_ERR_INVALID_SUBPROTOCOL']);
    const a = thrown(() => buildAcceptResponse({ accept: `${RFC_ACCEPT}\r\nX-Evil: 1` }));
    expect(a.code).toBe('WS_ERR_INVALID_HEADER_VALUE');
  });
});

describe('RFC 6455 section 4.2.1: buildRejectResponse', () => {
  it('403 with the reason phrase as the body', () => {
    expect(buildRejectResponse(403)).toBe(
      'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 9\r\n\r\nForbidden',
    );
  });
  it('carries a rejection from validateUpgradeRequest, with its headers', () => {
    const r = rejected(makeReq({ 'Sec-WebSocket-Version': '8' }));
    const text = buildRejectResponse(r.status, r.message, r.headers);
    expect(text.startsWith('HTTP/1.1 426 Upgrade Required\r\nConnection: close\r\n')).toBe(true);
    expect(text).toContain('\r\nSec-WebSocket-Version: 13\r\n\r\n');
    expect(text.endsWith(`\r\n\r\n${r.message}`)).toBe(true);
    const m = rejected(makeReq({}, { method: 'POST' }));
    expect(buildRejectResponse(m.status, m.message, m.headers)).toContain('HTTP/1.1 405 Method Not Allowed\r\n');
    expect(buildRejectResponse(m.status, m.message, m.headers)).toContain('\r\nAllow: GET\r\n');
  });
  it('Content-Length counts UTF-8 bytes; Content-Type may be replaced', () => {
    const text = buildRejectResponse(400, 'h\u00e9llo \u2603', { 'Content-Type': 'text/html' });
    expect(text).toBe('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 10\r\nContent-Type: text/html\r\n\r\nh\u00e9llo \u2603');
  });
  it('an unregistered status has an empty reason phrase (RFC 9112 section 4)', () => {
    expect(buildRejectResponse(499).startsWith('HTTP/1.1 499 \r\n')).toBe(true);
    expect(buildRejectResponse(499).endsWith('\r\n\r\nHTTP 499')).toBe(true);
  });
  it.each([101, 200, 299, 304, 600, 400.5, NaN, '403'])('status %j throws RangeError WS_ERR_INVALID_STATUS', (status) => {
    const err = thrown(() => buildRejectResponse(status as number));
    expect([err instanceof RangeError, err.code]).toEqual([true, 'WS_ERR_INVALID_STATUS']);
    expect(err.message).toContain('300 to 599');
  });
  it.each([
    [{ 'X-A': 'a\r\n\r\n<script>' }, 'WS_ERR_INVALID_HEADER_VALUE'],
    [{ 'Content-Length': '0' }, 'WS_ERR_RESERVED_HEADER'],
    [{ 'transfer-encoding': 'chunked' }, 'WS_ERR_RESERVED_HEADER'],
    [{ Connection: 'keep-alive' }, 'WS_ERR_RESERVED_HEADER'],
    [{ 'X\u0000': 'v' }, 'WS_ERR_INVALID_HEADER_NAME'],
  ])('refuses injection through headers %j', (headers, code) => {
    expect(thrown(() => buildRejectResponse(400, 'no', headers)).code).toBe(code);
  });
});

describe('RFC 6455 section 4.1: client request', () => {
  it('builds the handshake headers', () => {
    const headers = buildClientRequestHeaders({
      key: RFC_KEY,
      host: 'server.example.com:8080',
      origin: 'http://example.com',
      protocols: ['chat', 'superchat'],
      extensions: [{ name: 'permessage-deflate', params: new Map([['client_max_window_bits', true as const]]) }],
      headers: { Authorization: 'Bearer t', 'X-Multi': ['a', 'b'] },
    });
    expect({ ...headers }).toEqual({
      Host: 'server.example.com:8080',
      Origin: 'http://example.com',
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': RFC_KEY,
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Protocol': 'chat, superchat',
      'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits',
      Authorization: 'Bearer t',
      'X-Multi': 'a, b',
    });
  });
  it('handshake-owned names in user headers are dropped, any case; Origin passes when not given', () => {
    const headers = buildClientRequestHeaders({
      key: RFC_KEY,
      host: 'h',
      headers: { connection: 'close', UPGRADE: 'h2c', 'Sec-WebSocket-Version': '8', host: 'evil', Origin: 'https://o.example' },
    });
    expect({ ...headers }).toEqual({ Host: 'h', Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': RFC_KEY, 'Sec-WebSocket-Version': '13', Origin: 'https://o.example' });
  });
  it('a single protocol string is one protocol; none sends no header', () => {
    expect(buildClientRequestHeaders({ key: RFC_KEY, host: 'h', protocols: 'chat' })['Sec-WebSocket-Protocol']).toBe('chat');
    expect('Sec-WebSocket-Protocol' in buildClientRequestHeaders({ key: RFC_KEY, host: 'h', protocols: [] })).toBe(false);
  });
  it.each([[['chat', 'chat']], [['']], [['a b']], [['chat\r\nX: 1']], [['caf\u00e9']], [[1 as unknown as string]], ['']])(
    'protocols %j throw SyntaxError like the WHATWG constructor',
    (protocols) => {
      const err = thrown(() => buildClientRequestHeaders({ key: RFC_KEY, host: 'h', protocols }));
      expect([err instanceof SyntaxError, err.code]).toEqual([true, 'WS_ERR_INVALID_SUBPROTOCOL']);
      expect(err.message).toContain('invalid or duplicated subprotocol');
    },
  );
  it.each([
    [{ key: 'nope', host: 'h' }, 'WS_ERR_INVALID_KEY'],
    [{ key: RFC_KEY, host: '' }, 'WS_ERR_INVALID_HEADER_VALUE'],
    [{ key: RFC_KEY, host: 'h\r\nX-Evil: 1' }, 'WS_ERR_INVALID_HEADER_VALUE'],
    [{ key: RFC_KEY, host: 'h', origin: 'o\nX: 1' }, 'WS_ERR_INVALID_HEADER_VALUE'],
    [{ key: RFC_KEY, host: 'h', headers: { 'X-A': 'v\r\nX-B: 1' } }, 'WS_ERR_INVALID_HEADER_VALUE'],
    [{ key: RFC_KEY, host: 'h', headers: { 'X-A\r\n': 'v' } }, 'WS_ERR_INVALID_HEADER_NAME'],
    [{ key: RFC_KEY, host: 'h', extensions: [{ name: 'a;b', params: new Map() }] }, 'WS_ERR_INVALID_EXTENSION'],
  ])('%j throws TypeError %s', (parts, code) => {
    const err = thrown(() => buildClientRequestHeaders(parts));
    expect([err instanceof TypeError, err.code]).toEqual([true, code]);
  });
});

describe('RFC 6455 section 4.1: verifyServerResponse', () => {
  const good = {
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-accept': RFC_ACCEPT,
  } as Record<string, string | string[] | undefined>;
  const offer = {
    key: RFC_KEY,
    protocols: ['chat', 'superchat'],
    extensions: [{ name: 'permessage-deflate', params: new Map<string, string | true>([['client_max_window_bits', true]]) }],
  };
  const verify = (change: Record<string, string | string[] | undefined>, statusCode = 101, o = offer) =>
    verifyServerResponse({ statusCode, headers: { ...good, ...change } }, o);
  const failsWith = (result: ReturnType<typeof verify>, code: string, message: string) => {
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe(code);
      expect(result.message).toContain(message);
    }
  };

  it('accepts a good answer, with and without a subprotocol (absent is allowed)', () => {
    expect(verify({})).toEqual({ ok: true, protocol: '', extensions: [] });
    expect(verify({ 'sec-websocket-protocol': 'superchat' })).toEqual({ ok: true, protocol: 'superchat', extensions: [] });
    expect(verify({ upgrade: 'WebSocket', connection: 'keep-alive, upgrade', 'sec-websocket-accept': ` ${RFC_ACCEPT} ` }).ok).toBe(true);
  });
  it('returns the accepted extensions with their parameters', () => {
    const r = verify({ 'sec-websocket-extensions': 'permessage-deflate; server_max_window_bits=10' });
    expect(r.ok && [r.extensions[0]!.name, r.extensions[0]!.params.get('server_max_window_bits')]).toEqual(['permessage-deflate', '10']);
  });
  it.each([200, 302, 403, 426, 0])('status %i -> WS_ERR_HANDSHAKE_UNEXPECTED_STATUS', (status) => {
    failsWith(verify({}, status), 'WS_ERR_HANDSHAKE_UNEXPECTED_STATUS', `Unexpected server response: ${status}`);
  });
  it.each([undefined, '', 'h2c', 'websocket, foo', 'websocket/13', ['websocket', 'websocket']])(
    'Upgrade %j -> WS_ERR_HANDSHAKE_MISSING_UPGRADE (ws CVE-2024-37890: a dropped Upgrade is not a crash)',
    (upgrade) => failsWith(verify({ upgrade }), 'WS_ERR_HANDSHAKE_MISSING_UPGRADE', 'Upgrade header'),
  );
  it.each([undefined, '', 'close', 'keep-alive'])('Connection %j -> WS_ERR_HANDSHAKE_MISSING_CONNECTION', (connection) => {
    failsWith(verify({ connection }), 'WS_ERR_HANDSHAKE_MISSING_CONNECTION', 'Connection header');
  });
  it.each([undefined, '', acceptKey(generateKey()), RFC_ACCEPT.toLowerCase(), [RFC_ACCEPT, RFC_ACCEPT], `${RFC_ACCEPT}x`])(
    'Sec-WebSocket-Accept %j -> WS_ERR_HANDSHAKE_INVALID_ACCEPT',
    (accept) => failsWith(verify({ 'sec-websocket-accept': accept }), 'WS_ERR_HANDSHAKE_INVALID_ACCEPT', 'Sec-WebSocket-Accept'),
  );
  it('a subprotocol that was not offered, or when none was, or two of them -> WS_ERR_HANDSHAKE_UNEXPECTED_PROTOCOL', () => {
    failsWith(verify({ 'sec-websocket-protocol': 'other' }), 'WS_ERR_HANDSHAKE_UNEXPECTED_PROTOCOL', 'not offered');
    failsWith(verify({ 'sec-websocket-protocol': 'Chat' }), 'WS_ERR_HANDSHAKE_UNEXPECTED_PROTOCOL', 'not offered');
    failsWith(verify({ 'sec-websocket-protocol': 'chat, superchat' }), 'WS_ERR_HANDSHAKE_UNEXPECTED_PROTOCOL', 'not offered');
    failsWith(verify({ 'sec-websocket-protocol': ['chat', 'chat'] }), 'WS_ERR_HANDSHAKE_UNEXPECTED_PROTOCOL', 'not offered');
    failsWith(verify({ 'sec-websocket-protocol': 'chat' }, 101, { ...offer, protocols: [] }), 'WS_ERR_HANDSHAKE_UNEXPECTED_PROTOCOL', 'none was offered');
  });
  it('an extension that was not offered, or accepted twice, or malformed', () => {
    failsWith(verify({ 'sec-websocket-extensions': 'x-other' }), 'WS_ERR_HANDSHAKE_UNEXPECTED_EXTENSION', '"x-other", which was not offered');
    failsWith(verify({ 'sec-websocket-extensions': 'permessage-deflate, permessage-deflate' }), 'WS_ERR_HANDSHAKE_UNEXPECTED_EXTENSION', 'more than once');
    failsWith(verify({ 'sec-websocket-extensions': 'permessage-deflate' }, 101, { ...offer, extensions: [] }), 'WS_ERR_HANDSHAKE_UNEXPECTED_EXTENSION', 'not offered');
    failsWith(verify({ 'sec-websocket-extensions': 'permessage-deflate;' }), 'WS_ERR_HANDSHAKE_INVALID_EXTENSION_HEADER', 'expected a parameter name');
    failsWith(verify({ 'sec-websocket-extensions': '' }), 'WS_ERR_HANDSHAKE_INVALID_EXTENSION_HEADER', 'the list is empty');
  });
  it.each([undefined, null, {}, { statusCode: 101 }, { statusCode: 101, headers: null }, { statusCode: '101', headers: good }])(
    'never throws on %j',
    (res) => {
      expect(verifyServerResponse(res as never, offer).ok).toBe(false);
      expect(verifyServerResponse({ statusCode: 101, headers: good }, null as never).ok).toBe(false);
      expect(verifyServerResponse({ statusCode: 101, headers: good }, { key: 5 } as never).ok).toBe(false);
    },
  );
});

describe('interop with ws 8 over 127.0.0.1', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  /** An http server whose 'upgrade' handler is `onUpgrade`; resolves its port. */
  async function upgradeServer(onUpgrade: (req: http.IncomingMessage, socket: import('node:stream').Duplex) => void): Promise<number> {
    const server = http.createServer((_req, res) => res.writeHead(500).end());
    const sockets = new Set<import('node:stream').Duplex>();
    server.on('upgrade', (req, socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      onUpgrade(req, socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => {
      // Upgraded sockets leave the server's bookkeeping: close them here.
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return (server.address() as AddressInfo).port;
  }

  function client(url: string, protocols?: string[], options?: ConstructorParameters<typeof WebSocket>[2]): WebSocket {
    const ws = new WebSocket(url, protocols, options);
    ws.on('error', () => {}); // terminate() while CONNECTING emits one; tests that expect one use once().
    cleanups.push(() => ws.terminate());
    return ws;
  }

  it('a ws client opens against validateUpgradeRequest + buildAcceptResponse, with the default protocol', async () => {
    let validation: ReturnType<typeof validateUpgradeRequest> | undefined;
    const port = await upgradeServer((req, socket) => {
      validation = validateUpgradeRequest(req);
      if (!validation.ok) return void socket.end(buildRejectResponse(validation.status, validation.message, validation.headers));
      const protocol = selectProtocol(validation.protocols, undefined, req);
      socket.write(buildAcceptResponse({ accept: acceptKey(validation.key), protocol }));
    });
    const ws = client(`ws://127.0.0.1:${port}/chat`, ['chat', 'superchat']);
    await once(ws, 'open');
    expect(ws.protocol).toBe('chat');
    expect(validation?.ok).toBe(true);
    if (validation?.ok) {
      expect([...validation.protocols]).toEqual(['chat', 'superchat']);
      // ws offers permessage-deflate by default.
      expect(validation.extensions.map((e) => [e.name, [...e.params]])).toEqual([['permessage-deflate', [['client_max_window_bits', true]]]]);
    }
  });

  it('handleProtocols picks the second offer; an allowed Origin passes', async () => {
    const port = await upgradeServer((req, socket) => {
      const v = validateUpgradeRequest(req, { allowedOrigins: ['https://app.example'] });
      if (!v.ok) return void socket.end(buildRejectResponse(v.status, v.message, v.headers));
      const protocol = selectProtocol(v.protocols, (p) => (p.has('superchat') ? 'superchat' : false), req);
      socket.write(buildAcceptResponse({ accept: acceptKey(v.key), protocol, headers: { 'X-Origin-Seen': v.origin ?? 'none' } }));
    });
    const ws = client(`ws://127.0.0.1:${port}`, ['chat', 'superchat'], { origin: 'https://app.example' });
    // 'open' follows 'upgrade' in the same tick: listen for both first.
    const upgraded = once(ws, 'upgrade') as Promise<[http.IncomingMessage]>;
    const opened = once(ws, 'open');
    const [res] = await upgraded;
    expect(res.headers['x-origin-seen']).toBe('https://app.example');
    await opened;
    expect(ws.protocol).toBe('superchat');
  });

  it('buildRejectResponse(403) makes the ws client emit unexpected-response with 403 and the body', async () => {
    const port = await upgradeServer((req, socket) => {
      const v = validateUpgradeRequest(req, { allowedOrigins: ['https://app.example'] });
      if (!v.ok) socket.end(buildRejectResponse(v.status, v.message, v.headers));
    });
    const ws = client(`ws://127.0.0.1:${port}`, [], { origin: 'https://evil.example' });
    const [, res] = (await once(ws, 'unexpected-response')) as [http.ClientRequest, http.IncomingMessage];
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    res.setEncoding('utf8');
    let body = '';
    for await (const chunk of res) body += chunk;
    expect(body).toContain('Origin not allowed');
    expect(Buffer.byteLength(body)).toBe(Number(res.headers['content-length']));
  });

  it('without an unexpected-response listener the ws client errors with "Unexpected server response: 403"', async () => {
    const port = await upgradeServer((_req, socket) => void socket.end(buildRejectResponse(403)));
    const ws = client(`ws://127.0.0.1:${port}`);
    const [err] = (await once(ws, 'error')) as [Error];
    expect(err.message).toBe('Unexpected server response: 403');
  });

  it("the 101 response is byte-identical to ws's WebSocketServer for the same key and protocol", async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    cleanups.push(() => new Promise<void>((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(() => resolve()); }));
    await once(wss, 'listening');
    const { port } = wss.address() as AddressInfo;
    const key = generateKey();
    const headers = buildClientRequestHeaders({ key, host: `127.0.0.1:${port}`, protocols: ['chat', 'superchat'] });
    const socket = net.connect(port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    socket.write(`GET / HTTP/1.1\r\n${Object.entries(headers).map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`);
    let received = '';
    socket.setEncoding('latin1');
    for await (const chunk of socket) {
      received += chunk as string;
      if (received.includes('\r\n\r\n')) break;
    }
    const head = received.slice(0, received.indexOf('\r\n\r\n') + 4);
    expect(head).toBe(buildAcceptResponse({ accept: acceptKey(key), protocol: 'chat' }));
  });

  it('verifyServerResponse accepts a real ws server answer, permessage-deflate included', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true, handleProtocols: (p) => (p.has('b') ? 'b' : false) });
    cleanups.push(() => new Promise<void>((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(() => resolve()); }));
    await once(wss, 'listening');
    const { port } = wss.address() as AddressInfo;
    const key = generateKey();
    const extensions: ExtensionOffer[] = [{ name: 'permessage-deflate', params: new Map([['client_max_window_bits', true as const]]) }];
    const headers = buildClientRequestHeaders({ key, host: `127.0.0.1:${port}`, protocols: ['a', 'b'], extensions });
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers });
    req.end();
    const [res, socket] = (await once(req, 'upgrade')) as [http.IncomingMessage, net.Socket];
    cleanups.push(() => void socket.destroy());
    const verdict = verifyServerResponse(res, { key, protocols: ['a', 'b'], extensions });
    expect(verdict.ok).toBe(true);
    if (verdict.ok) {
      expect(verdict.protocol).toBe('b');
      expect(verdict.extensions.map((e) => e.name)).toEqual(['permessage-deflate']);
    }
    // The same answer checked against another key fails.
    expect(verifyServerResponse(res, { key: generateKey(), protocols: ['a', 'b'], extensions })).toMatchObject({ ok: false, code: 'WS_ERR_HANDSHAKE_INVALID_ACCEPT' });
  });
});
