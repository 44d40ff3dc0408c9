// The shapes the inspector returns (layer 6 of ARCHITECTURE.md). Plain data: every byte
// range is absolute (an offset into the bytes of one direction of one connection), so the
// CLI, the JSON output and the web page's hex view all highlight the same bytes.
import type { Codec } from '../codec/types.js';

/** Who sent the bytes: a client masks every frame, a server none (RFC 6455 section 5.1). */
export type Role = 'client' | 'server';

/** One field of a frame header and where it lies on the wire. */
export interface HeaderField {
  /** 'FIN', 'RSV1', 'RSV2', 'RSV3', 'opcode', 'MASK', 'payload length', 'extended length', 'masking key'. */
  readonly name: string;
  /** First byte of the field (absolute offset). */
  readonly start: number;
  /** One past its last byte. */
  readonly end: number;
  /** For a field inside one byte: the bits it occupies there (e.g. 0x80 for FIN). */
  readonly bits?: number;
  /** The field's value as shown ('1', '0x1 text', '300 (16-bit)', 'a1 b2 c3 d4'). */
  readonly value: string;
}

/** A rule broken, where. */
export interface Problem {
  /** Stable code: WS_ERR_* (those of src/codec/errors.ts where the Decoder has one). */
  readonly code: string;
  /** What is wrong, with specifics. */
  readonly message: string;
  /** Where the rule is written ('RFC 6455 section 5.2'). */
  readonly rule: string;
  /** Offset of the offending byte in this direction's stream, when it has one. */
  readonly offset?: number;
}

/** Decoded views of a payload, each present only where the bytes parse completely. */
export interface PayloadViews {
  json?: string;
  msgpack?: string;
  cbor?: string;
}

export interface CloseInfo {
  /** Absent for an empty close payload (1005 'No Status Rcvd' is never on the wire). */
  readonly code?: number;
  /** The registered name (IANA WebSocket Close Code Number Registry), or a range description. */
  readonly name?: string;
  readonly reason: string;
}

/** A data message completed by this frame (the last frame of it). */
export interface MessageInfo {
  readonly opcode: 1 | 2;
  /** Frames it was made of. */
  readonly frames: number;
  /** Bytes as received (compressed, when RSV1 was set). */
  readonly wireLength: number;
  /** The message (inflated when it was compressed and an inflater could read it). */
  readonly data: Uint8Array;
  readonly compressed: boolean;
  /** True when `data` is the inflated message. */
  readonly inflated: boolean;
  /** The text of a text message (up to maxViewBytes; absent with detail 'summary'). */
  readonly text?: string;
  readonly views: PayloadViews;
}

export interface InspectedFrame {
  /** 'frame': decoded from wire bytes. 'message': a message as a browser recorded it (HAR), not a frame. */
  readonly kind: 'frame' | 'message';
  /** 1-based, in the order shown. */
  index: number;
  /** Connection number in a capture (0 for a single stream). */
  connection: number;
  /** Who sent it. */
  readonly direction: Role;
  /** Seconds since the epoch when known (capture timestamp of the packet that completed it). */
  time?: number;
  /** Capture packet number (1-based, as Wireshark counts) of the packet that completed it. */
  packet?: number;
  /** Offset of the first header byte in this direction's stream. */
  readonly offset: number;
  readonly headerLength: number;
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  readonly opcode: number;
  readonly opcodeName: string;
  readonly masked: boolean;
  /** The 4 key bytes in wire order, or null. */
  readonly maskingKey: readonly number[] | null;
  /** How the payload length was encoded: 7-bit, 16-bit or 64-bit. */
  readonly lengthEncoding: 7 | 16 | 64;
  /** Declared payload length (may exceed what was captured). */
  readonly payloadLength: number;
  readonly fields: readonly HeaderField[];
  /** The header bytes as on the wire. */
  readonly header: Uint8Array;
  /** The payload, unmasked; shorter than payloadLength when the capture ends inside it. */
  readonly payload: Uint8Array;
  readonly truncated: boolean;
  /** A short, printable preview of the payload (or of the message it completes). */
  preview: string;
  /** Hex of the payload's first bytes (binary, control and compressed frames). */
  hex?: string;
  close?: CloseInfo;
  message?: MessageInfo;
  readonly problems: Problem[];
}

/**
 * Inflates a raw DEFLATE stream (RFC 1951) completely: the inspector hands it a whole
 * message, prefixed with the sliding window as a stored block and closed with an empty
 * final block, so one-shot inflaters work (node:zlib inflateRawSync, DecompressionStream).
 */
export type Inflater = (raw: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** Negotiated permessage-deflate parameters (RFC 7692 section 7.1) that matter to a reader. */
export interface DeflateParams {
  /** The sender resets its compressor after each message (no shared window). */
  noContextTakeover?: boolean;
  /** The sender's LZ77 window, 8-15 bits (default 15). */
  maxWindowBits?: number;
}

export interface InspectOptions {
  /** Who sent the bytes. */
  role: Role;
  /** permessage-deflate was negotiated: RSV1 marks compressed messages. */
  deflate?: DeflateParams | boolean;
  /** Inflates compressed messages (default: DecompressionStream where the engine has it). */
  inflate?: Inflater;
  /** Codec for unmasking and UTF-8 validation (default createCodec()). */
  codec?: Codec;
  /** Bytes of hex shown per payload (default 256). */
  hexBytes?: number;
  /** Largest message decoded as JSON / MessagePack / CBOR (default 1 MiB). */
  maxViewBytes?: number;
  /**
   * 'full' (default): message text and every decoded view. 'summary': what a table row
   * needs (previews; views of binary messages only, for their preview; no message text),
   * for large captures on the command line and the page's worker.
   */
  detail?: 'full' | 'summary';
  /**
   * For a table that reads the frames while their payload is still there (a frame sink):
   * a preview that is the payload's first bytes as they are (printable ASCII) is not made as
   * a string; `preview` is then '' and `previewText(frame)` makes it. Default false.
   */
  lazyPreviews?: boolean;
  /** Largest inflated message (default 64 MiB); larger ones are reported, not inflated. */
  maxInflated?: number;
  /**
   * The bytes given to `write`/`feed` are valid only during the call (a read buffer that is
   * reused): whatever outlives the call is copied. Default false: chunks are kept as given,
   * and payloads that lie in one chunk are views of it.
   */
  transient?: boolean;
  /**
   * With `transient`: the header and payload bytes of the frames made are copied into one
   * buffer that `recycle()` lets the inspector reuse, once the caller holds none of the
   * frames it took (a capture decoded without fresh memory per frame). Until then, the
   * frames' bytes stay valid. Default false: each frame's bytes are its own.
   */
  recycle?: boolean;
}

/** Where framing was lost and why (nothing after `offset` could be read as frames). */
export interface FramingLoss {
  readonly offset: number;
  readonly message: string;
}

export interface StreamResult {
  readonly frames: InspectedFrame[];
  /** Problems not tied to one frame (a gap, a truncated header). */
  readonly problems: Problem[];
  readonly lost?: FramingLoss;
  /** Bytes read in this direction. */
  readonly bytes: number;
}

/** One TCP connection (or one live connection) and what was found in it. */
export interface ConnectionReport {
  readonly id: number;
  /** 'address:port' of each end ('?' when unknown). */
  readonly client: string;
  readonly server: string;
  /** Frames were decoded from it. */
  readonly websocket: boolean;
  /** How it was recognised or why it was not ('handshake', 'mid-stream', 'upgrade refused: 403', …). */
  readonly how: string;
  readonly request?: string;
  readonly status?: number;
  readonly extensions?: string;
  readonly protocol?: string;
  readonly deflate?: { client: DeflateParams; server: DeflateParams };
  readonly bytes: { client: number; server: number };
  readonly lost?: { client?: FramingLoss; server?: FramingLoss };
  readonly retransmitted?: number;
  readonly gaps?: number;
  /** What had to be assumed about it (roles guessed, permessage-deflate assumed); also in the report's notes. */
  readonly note?: string;
}

/** What detectAndInspect found in an input of any supported format. */
export interface InspectionReport {
  /** 'pcap', 'pcapng', 'har', 'hex', 'base64' or 'binary'. */
  readonly format: string;
  /** Every frame (HAR: every message), in time order, numbered from 1. */
  readonly frames: InspectedFrame[];
  readonly connections: ConnectionReport[];
  /** Problems not tied to a frame. */
  readonly problems: Array<Problem & { connection?: number; direction?: Role }>;
  /** What the reader noticed or assumed (a guessed role, a truncated file, …). */
  readonly notes: string[];
  /** Time of the first packet (seconds since the epoch), when known. */
  readonly startTime?: number;
}
