// Layer 3: the sans-I/O protocol (bytes in, events out; messages in, bytes out).
export { Decoder, DEFAULT_MAX_PAYLOAD, DEFAULT_MAX_FRAGMENTS, type DecoderHandler, type DecoderOptions } from './decoder.js';
export {
  Encoder, closePayload, headerLength, writeHeader, MAX_CLOSE_REASON, SEPARATE_PAYLOAD_MIN,
  OPCODE_CONTINUATION, OPCODE_TEXT, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG,
  type EncoderOptions, type MessageOptions,
} from './encoder.js';
export { allocBytes, utf8Bytes, viewBytes, type Bytes } from './bytes.js';
