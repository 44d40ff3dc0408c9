// Names the inspector shows: opcodes (RFC 6455 section 5.2 and 11.8) and close codes
// (RFC 6455 section 7.4.1 and the IANA "WebSocket Close Code Number Registry").
import { isValidCloseCode } from '../codec/js/parse.js';

const OPCODES: Record<number, string> = {
  0x0: 'continuation', 0x1: 'text', 0x2: 'binary', 0x8: 'close', 0x9: 'ping', 0xa: 'pong',
};

/** 'text', 'ping', … or 'reserved 0x3'. */
export function opcodeName(opcode: number): string {
  return OPCODES[opcode] ?? `reserved 0x${opcode.toString(16)}`;
}

/** Opcodes 0x3-0x7 and 0xB-0xF are reserved (RFC 6455 section 5.2). */
export function isReservedOpcode(opcode: number): boolean {
  return OPCODES[opcode] === undefined;
}

/** Control frames have the opcode's high bit set (RFC 6455 section 5.5). */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** The IANA WebSocket Close Code Number Registry, names as registered. */
const CLOSE_CODES: Record<number, string> = {
  1000: 'Normal Closure',
  1001: 'Going Away',
  1002: 'Protocol error',
  1003: 'Unsupported Data',
  1004: 'Reserved',
  1005: 'No Status Rcvd',
  1006: 'Abnormal Closure',
  1007: 'Invalid frame payload data',
  1008: 'Policy Violation',
  1009: 'Message Too Big',
  1010: 'Mandatory Ext.',
  1011: 'Internal Error',
  1012: 'Service Restart',
  1013: 'Try Again Later',
  1014: 'Bad Gateway',
  1015: 'TLS handshake',
  3000: 'Unauthorized',
  3003: 'Forbidden',
  3008: 'Timeout',
};

/** The registered name of a close code, or the range it falls in. */
export function closeCodeName(code: number): string {
  const name = CLOSE_CODES[code];
  if (name !== undefined) return name;
  if (code < 1000) return 'not used';
  if (code < 3000) return 'reserved for this protocol and its extensions';
  if (code < 4000) return 'registered for libraries and frameworks';
  if (code < 5000) return 'private use';
  return 'not defined';
}

/**
 * Codes that may appear in a close frame (RFC 6455 section 7.4): 1004-1006 and 1015 are
 * reserved for reporting and never sent; other unassigned codes below 3000 are invalid.
 */
export function isSendableCloseCode(code: number): boolean {
  return isValidCloseCode(code);
}
