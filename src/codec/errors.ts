// Core error codes (layout.ts E_*) → stable WS_ERR_* codes, close codes and messages.
// One function maps a status to an error value; nothing below the connection layer throws.
import {
  E_RSV1, E_RSV23, E_OPCODE, E_CONTROL_FIN, E_CONTROL_LENGTH, E_MASK_EXPECTED, E_MASK_UNEXPECTED,
  E_LENGTH_MSB, E_CONTINUATION, E_EXPECTED_CONTINUATION, E_UTF8, E_TOO_BIG, E_CLOSE_LENGTH,
  E_CLOSE_CODE, E_CLOSE_UTF8, E_TOO_MANY_FRAGMENTS, E_INFLATED_TOO_BIG, E_INFLATE,
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

const S = 'RFC 6455 section ';
/** error → [stable code, the rule broken, where the rule is written]. */
const TABLE: Record<number, readonly [code: string, rule: string, source: string]> = {
  [E_RSV1]: ['WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear (not negotiated, or not the first frame of a data message)', S + '5.2'],
  [E_RSV23]: ['WS_ERR_UNEXPECTED_RSV_2_3', 'RSV2 and RSV3 must be clear', S + '5.2'],
  [E_OPCODE]: ['WS_ERR_INVALID_OPCODE', 'reserved opcode', S + '5.2'],
  [E_CONTROL_FIN]: ['WS_ERR_EXPECTED_FIN', 'control frames must not be fragmented (FIN must be set)', S + '5.5'],
  [E_CONTROL_LENGTH]: ['WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 'control frame payload longer than 125 bytes', S + '5.5'],
  [E_MASK_EXPECTED]: ['WS_ERR_EXPECTED_MASK', 'frames from a client must be masked', S + '5.1'],
  [E_MASK_UNEXPECTED]: ['WS_ERR_UNEXPECTED_MASK', 'frames from a server must not be masked', S + '5.1'],
  [E_LENGTH_MSB]: ['WS_ERR_INVALID_PAYLOAD_LENGTH', 'the most significant bit of a 64-bit payload length must be 0', S + '5.2'],
  [E_CONTINUATION]: ['WS_ERR_UNEXPECTED_CONTINUATION', 'continuation frame without a message to continue', S + '5.4'],
  [E_EXPECTED_CONTINUATION]: ['WS_ERR_EXPECTED_CONTINUATION', 'new data frame while a fragmented message is open', S + '5.4'],
  [E_UTF8]: ['WS_ERR_INVALID_UTF8', 'text message is not valid UTF-8', S + '8.1'],
  [E_TOO_BIG]: ['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'message larger than maxPayload', S + '10.4'],
  [E_CLOSE_LENGTH]: ['WS_ERR_INVALID_CLOSE_PAYLOAD', 'close frame payload of 1 byte', S + '5.5.1'],
  [E_CLOSE_CODE]: ['WS_ERR_INVALID_CLOSE_CODE', 'invalid close code', S + '7.4'],
  [E_CLOSE_UTF8]: ['WS_ERR_INVALID_CLOSE_REASON', 'close reason is not valid UTF-8', S + '5.5.1'],
  [E_TOO_MANY_FRAGMENTS]: ['WS_ERR_TOO_MANY_FRAGMENTS', 'message made of more frames than maxFragments', S + '10.4'],
  [E_INFLATED_TOO_BIG]: ['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'inflated message larger than maxPayload', S + '10.4'],
  [E_INFLATE]: ['WS_ERR_INFLATE', 'compressed message does not inflate', 'RFC 7692 section 6.2'],
};

/** The stable WS_ERR_* code for a core error code. */
export function errorCodeName(error: number): string {
  return TABLE[error]?.[0] ?? 'WS_ERR_INTERNAL';
}

/** Builds the error value for a status; `detail` adds specifics (an opcode, a code). */
export function frameError(error: number, closeCode: number, offset: number, detail = ''): FrameError {
  const entry = TABLE[error];
  if (entry === undefined) {
    return { code: 'WS_ERR_INTERNAL', closeCode: 1011, message: `internal error ${error} at byte ${offset}`, offset };
  }
  const [code, rule, source] = entry;
  return { code, closeCode, message: `${rule}${detail ? ` (${detail})` : ''} at byte ${offset} (${source})`, offset };
}
