// The contract between the two cores (assembly/ and src/codec/js.ts) and the TypeScript layer.
// This file is compiled twice: by AssemblyScript (imported from assembly/) and by TypeScript.
// It must therefore hold nothing but integer constants.

// ── Parser state: one Uint32Array(STATE_WORDS) per connection ──────────────────────────
// The core is stateless between calls; what it needs to resume in the middle of a frame
// or a fragmented message lives in the connection and is passed in and out each call.
//
//   word  name            meaning
//   0     S_FLAGS         F_* bits below | (header byte 0 of the frame in progress) << 8
//   1     S_REMAINING     payload bytes of the frame in progress still to come
//   2     S_FRAME_LENGTH  total payload length of the frame in progress
//   3     S_MASK_KEY      masking key, wire byte k0 in bits 0-7 … k3 in bits 24-31
//   4     S_MASK_PHASE    payload bytes of the frame already unmasked, mod 4
//   5     S_UTF8          UTF-8 validator state (0 = at a code point boundary)
//   6     S_MESSAGE_BYTES payload bytes of the current data message so far (for maxPayload)
//   7     (reserved)
export const STATE_WORDS = 8;
export const S_FLAGS = 0;
export const S_REMAINING = 1;
export const S_FRAME_LENGTH = 2;
export const S_MASK_KEY = 3;
export const S_MASK_PHASE = 4;
export const S_UTF8 = 5;
export const S_MESSAGE_BYTES = 6;

/** A frame's payload is partly consumed; the next bytes are more of it. */
export const F_IN_FRAME = 1;
/** A fragmented data message is open: only continuation and control frames may follow. */
export const F_IN_MESSAGE = 2;
/** The open message is text and its bytes are being UTF-8 validated. */
export const F_VALIDATE = 4;
/** The frame in progress is masked. */
export const F_MASKED = 8;
/** A close frame was parsed: RFC 6455 section 5.5.1, nothing after it is read. */
export const F_CLOSED = 16;
/** The open message has RSV1 set (permessage-deflate): its bytes are not UTF-8 yet. */
export const F_COMPRESSED = 32;

// ── Parse options, one i32 ─────────────────────────────────────────────────────────────
/** We are the server: frames from the peer (a client) must be masked (RFC 6455 section 5.1). */
export const O_SERVER = 1;
/** RSV1 was negotiated (permessage-deflate, RFC 7692 section 6). */
export const O_ALLOW_RSV1 = 2;
/** Skip UTF-8 validation of text payloads (ws's `skipUTF8Validation`). */
export const O_SKIP_UTF8 = 4;

// ── Descriptor table: DESC_WORDS u32 per frame or piece of a frame ─────────────────────
//   word  name      meaning
//   0     D_INFO    header byte 0 (FIN, RSV1-3, opcode) | P_* bits << 8 | header length << 16
//   1     D_OFFSET  offset of this piece's payload in the parsed input
//   2     D_LENGTH  bytes of payload in this piece
//   3     D_FRAME   the frame's total payload length
// A frame whose payload is all in the input gets one descriptor with P_FIRST | P_LAST.
// A frame larger than the input gets a P_FIRST piece, middle pieces, and a P_LAST piece.
// Control frames are never split: the core waits until the whole frame is in (<= 131 bytes).
export const DESC_WORDS = 4;
export const D_INFO = 0;
export const D_OFFSET = 1;
export const D_LENGTH = 2;
export const D_FRAME = 3;
/** The piece starts with the frame's header (header length is in D_INFO bits 16-23). */
export const P_FIRST = 1;
/** The frame's payload ends with this piece. */
export const P_LAST = 2;
/** The frame ends a data message (FIN set, after any fragments). */
export const P_MESSAGE_END = 4;

/** The longest prefix a parse call may leave unconsumed: a 2+4+125 byte control frame. */
export const MAX_CARRY = 131;
/** Largest slice of a chunk given to one parse call (a 64 KiB socket read is one call). */
export const MAX_SLICE = 65536;
/**
 * Descriptors one parse call may write. Every descriptor but the first and the last
 * consumes a header of at least 2 bytes, so carry + slice bytes never need more.
 */
export const DESC_CAPACITY = 32840;

// ── Result words (written by parse) ────────────────────────────────────────────────────
//   0 R_CONSUMED    bytes of the input consumed
//   1 R_ERROR       error code (E_*), 0 when none
//   2 R_CLOSE_CODE  close code to send for the error
//   3 R_ERROR_AT    offset of the offending byte in the input
export const RESULT_WORDS = 4;
export const R_CONSUMED = 0;
export const R_ERROR = 1;
export const R_CLOSE_CODE = 2;
export const R_ERROR_AT = 3;

// ── Error codes (mapped to WS_ERR_* names and messages in src/codec/errors.ts) ─────────
export const E_NONE = 0;
export const E_RSV1 = 1;
export const E_RSV23 = 2;
export const E_OPCODE = 3;
export const E_CONTROL_FIN = 4;
export const E_CONTROL_LENGTH = 5;
export const E_MASK_EXPECTED = 6;
export const E_MASK_UNEXPECTED = 7;
export const E_LENGTH_MSB = 8;
export const E_CONTINUATION = 9;
export const E_EXPECTED_CONTINUATION = 10;
export const E_UTF8 = 11;
export const E_TOO_BIG = 12;
export const E_CLOSE_LENGTH = 13;
export const E_CLOSE_CODE = 14;
export const E_CLOSE_UTF8 = 15;

// ── UTF-8 validator states (a DFA over RFC 3629's table 'UTF8-octets') ─────────────────
// validateUtf8(bytes, state) returns the state after the bytes (>= 0), or -1 - offset of
// the first byte that cannot be part of valid UTF-8.
//   state  expecting
//   0      any lead byte (boundary)
//   1      one continuation 80-BF
//   2      two continuations 80-BF 80-BF
//   3      three continuations
//   4      after E0: A0-BF, then one
//   5      after ED: 80-9F, then one (no surrogates)
//   6      after F0: 90-BF, then two
//   7      after F4: 80-8F, then two (nothing above U+10FFFF)
export const U_ACCEPT = 0;

// ── Decoder-level error codes (raised in src/protocol, share the error table) ──────────
/** A message made of more frames than the Decoder's maxFragments. */
export const E_TOO_MANY_FRAGMENTS = 16;
/** An inflated (permessage-deflate) message larger than maxPayload. */
export const E_INFLATED_TOO_BIG = 17;
/** A compressed message that does not inflate (RFC 7692 section 6.2). */
export const E_INFLATE = 18;
