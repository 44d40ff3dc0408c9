// wsframe: the public face. Nothing else is imported from outside the package.
import { WebSocket } from './websocket.js';
import { WebSocketServer } from './server.js';

export { WebSocket, WebSocketError, type SendOptions } from './websocket.js';
export { WebSocketServer, type ServerOptions, type VerifyClient, type VerifyClientInfo } from './server.js';
export { type ClientOptions } from './client.js';
export type { ConnectionOptions } from './connection/options.js';
export { createCodec, loadCore, loadCoreSync, setCoreModule, simdSupported, maskKey, ParserState } from './codec/index.js';
export type { Codec, CoreName, CodecOptions } from './codec/index.js';
export type { FrameError } from './codec/errors.js';
export {
  Decoder, Encoder, closePayload, type DecoderHandler, type DecoderOptions, type EncoderOptions,
} from './protocol/index.js';

/** `ws` names: `import WebSocket, { WebSocketServer } from 'wsframe'` works as with ws. */
export { WebSocketServer as Server };
export default WebSocket;
export {
  inspectFrames, detectAndInspect, inspectCapture, inspectCaptureStream, mergeCaptureReports, frameOrder, readCapture, StreamInspector, ConnectionInspector, previewText,
  formatTable, formatJson, closeCodeName, opcodeName,
} from './inspect/index.js';
