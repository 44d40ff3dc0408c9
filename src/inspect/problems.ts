// Every problem the inspector reports: a stable code, the rule and where it is written.
// Codes are the Decoder's WS_ERR_* (src/codec/errors.ts) where it has one, so an
// inspection and a failed connection name the same violation the same way.
import type { Problem } from './types.js';

const S = 'RFC 6455 section ';

/** problem → [stable code, the rule broken, where it is written]. */
export const PROBLEMS = {
  rsv1: ['WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear unless permessage-deflate was negotiated, and then only on the first frame of a data message', 'RFC 7692 section 6'],
  rsv23: ['WS_ERR_UNEXPECTED_RSV_2_3', 'RSV2 and RSV3 must be clear (no extension defines them)', S + '5.2'],
  opcode: ['WS_ERR_INVALID_OPCODE', 'reserved opcode', S + '5.2'],
  controlFin: ['WS_ERR_EXPECTED_FIN', 'control frames must not be fragmented (FIN must be set)', S + '5.5'],
  controlLength: ['WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 'control frame payload longer than 125 bytes', S + '5.5'],
  maskExpected: ['WS_ERR_EXPECTED_MASK', 'frames from a client must be masked', S + '5.1'],
  maskUnexpected: ['WS_ERR_UNEXPECTED_MASK', 'frames from a server must not be masked', S + '5.1'],
  lengthMsb: ['WS_ERR_INVALID_PAYLOAD_LENGTH', 'the most significant bit of a 64-bit payload length must be 0', S + '5.2'],
  lengthNotMinimal: ['WS_ERR_NON_MINIMAL_LENGTH', 'the payload length must use the minimal number of bytes', S + '5.2'],
  continuation: ['WS_ERR_UNEXPECTED_CONTINUATION', 'continuation frame without a message to continue', S + '5.4'],
  expectedContinuation: ['WS_ERR_EXPECTED_CONTINUATION', 'new data message while a fragmented message is open', S + '5.4'],
  utf8: ['WS_ERR_INVALID_UTF8', 'text message is not valid UTF-8', S + '8.1'],
  closeLength: ['WS_ERR_INVALID_CLOSE_PAYLOAD', 'close frame payload of 1 byte (a code is 2 bytes)', S + '5.5.1'],
  closeCode: ['WS_ERR_INVALID_CLOSE_CODE', 'invalid close code', S + '7.4'],
  closeUtf8: ['WS_ERR_INVALID_CLOSE_REASON', 'close reason is not valid UTF-8', S + '5.5.1'],
  afterClose: ['WS_ERR_DATA_AFTER_CLOSE', 'an endpoint must not send frames after its close frame', S + '5.5.1'],
  inflate: ['WS_ERR_INFLATE', 'compressed message does not inflate', 'RFC 7692 section 6.2'],
  inflateUnavailable: ['WS_ERR_INFLATE_UNAVAILABLE', 'compressed message not inflated (no inflater, or larger than maxInflated)', 'RFC 7692 section 6.2'],
  truncated: ['WS_ERR_TRUNCATED', 'the capture ends inside a frame: framing lost', S + '5.2'],
  gap: ['WS_ERR_CAPTURE_GAP', 'bytes missing from the capture (TCP gap): framing lost, resumed at the next segment', 'RFC 793 section 3.3'],
  unfinished: ['WS_ERR_UNFINISHED_MESSAGE', 'the stream ends inside a fragmented message', S + '5.4'],
} as const satisfies Record<string, readonly [string, string, string]>;

export type ProblemKind = keyof typeof PROBLEMS;

/** Builds a problem; `detail` adds specifics, `offset` says at which byte. */
export function problem(kind: ProblemKind, offset?: number, detail = ''): Problem {
  const [code, rule, source] = PROBLEMS[kind];
  const where = offset === undefined ? '' : ` at byte ${offset}`;
  const message = `${rule}${detail ? ` (${detail})` : ''}${where}`;
  return offset === undefined ? { code, message, rule: source } : { code, message, rule: source, offset };
}
