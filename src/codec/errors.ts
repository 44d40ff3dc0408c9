// Core error codes (layout.ts E_*) → stable WS_ERR_* codes, close codes and messages.
// One function maps a status to an error value; nothing below the connection layer throws.
import {
  E_RSV1, E_RSV23, E_OPCODE, E_CONTROL_FIN, E_CONTROL_LENGTH, E_MASK_EXPECTED, E_MASK_UNEXPECTED,
  E_LENGTH_MSB, E_CONTINUATION, E_EXPECTED_CONTINUATION, E_UTF8, E_TOO_BIG, E_CLOSE_LENGTH,
  E_CLOSE_CODE, E_CLOSE_UTF8,
} from './layout.js';

/** A protocol violation found in received bytes, as a value. */
export interface FrameError {
  /** Stable code, e.g. WS_ERR_INVALID_UTF8. */
  readonly code: string;
  /** The close code RFC 6455 section 7.4.1 asks us to send. */
  readonly closeCode: number;
  /** What was wrong and where. */
  readonly message: string;
  /** Offset of the offending byte in the stream (bytes fed so far). */
  readonly offset: number;
}

const TABLE: Record<number, readonly [code: string, rule: string]> = {
  [E_RSV1]: ['WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear (no extension negotiated it, or not the first frame of a data message)'],
  [E_RSV23]: ['WS_ERR_UNEXPECTED_RSV_2_3', 'RSV2 and RSV3 must be clear'],
  [E_OPCODE]: ['WS_ERR_INVALID_OPCODE', 'reserved opcode'],
  [E_CONTROL_FIN]: ['WS_ERR_EXPECTED_FIN', 'control frames must not be fragmented (FIN must be set)'],
  [E_CONTROL_LENGTH]: ['WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 'control frame payload longer than 125 bytes'],
  [E_MASK_EXPECTED]: ['WS_ERR_EXPECTED_MASK', 'frames from a client must be masked'],
  [E_MASK_UNEXPECTED]: ['WS_ERR_UNEXPECTED_MASK', 'frames from a server must not be masked'],
  [E_LENGTH_MSB]: ['WS_ERR_INVALID_PAYLOAD_LENGTH', 'the most significant bit of a 64-bit payload length must be 0'],
  [E_CONTINUATION]: ['WS_ERR_UNEXPECTED_CONTINUATION', 'continuation frame without a message to continue'],
  [E_EXPECTED_CONTINUATION]: ['WS_ERR_EXPECTED_CONTINUATION', 'new data frame while a fragmented message is open'],
  [E_UTF8]: ['WS_ERR_INVALID_UTF8', 'text message is not valid UTF-8'],
  [E_TOO_BIG]: ['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'message larger than maxPayload'],
  [E_CLOSE_LENGTH]: ['WS_ERR_INVALID_CLOSE_PAYLOAD', 'close frame payload of 1 byte'],
  [E_CLOSE_CODE]: ['WS_ERR_INVALID_CLOSE_CODE', 'invalid close code'],
  [E_CLOSE_UTF8]: ['WS_ERR_INVALID_CLOSE_REASON', 'close reason is not valid UTF-8'],
};

/** RFC 6455 section references for each error, quoted in messages. */
const SECTION: Record<number, string> = {
  [E_RSV1]: '5.2', [E_RSV23]: '5.2', [E_OPCODE]: '5.2', [E_CONTROL_FIN]: '5.5', [E_CONTROL_LENGTH]: '5.5',
  [E_MASK_EXPECTED]: '5.1', [E_MASK_UNEXPECTED]: '5.1', [E_LENGTH_MSB]: '5.2', [E_CONTINUATION]: '5.4',
  [E_EXPECTED_CONTINUATION]: '5.4', [E_UTF8]: '8.1', [E_TOO_BIG]: '10.4', [E_CLOSE_LENGTH]: '5.5.1',
  [E_CLOSE_CODE]: '7.4', [E_CLOSE_UTF8]: '5.5.1',
};

/** The stable WS_ERR_* code for a core error code. */
export function errorCodeName(error: number): string {
  return TABLE[error]?.[0] ?? 'WS_ERR_INTERNAL';
}

/** Builds the error value for a core status; `detail` adds specifics (an opcode, a code). */
export function frameError(error: number, closeCode: number, offset: number, detail = ''): FrameError {
  const entry = TABLE[error];
  const rule = entry ? entry[1] : `internal error ${error}`;
  const section = SECTION[error] ? ` (RFC 6455 section ${SECTION[error]})` : '';
  return {
    code: entry ? entry[0] : 'WS_ERR_INTERNAL',
    closeCode,
    message: `${rule}${detail ? `: ${detail}` : ''} at byte ${offset}${section}`,
    offset,
  };
}
