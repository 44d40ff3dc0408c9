// Layer 6: frame inspection. Error-tolerant, annotated decoding of raw WebSocket bytes,
// hex dumps, base64, HAR files and pcap/pcapng captures (with TCP reassembly).
import { StreamInspector } from './stream.js';
import type { InspectOptions, StreamResult } from './types.js';

/**
 * Every frame in `bytes` (all sent by `options.role`), with each header field and its byte
 * range, the unmasked payload, previews, decoded views and every problem found. Keeps
 * going past violations; stops only where the bytes end, and says where framing was lost.
 */
export async function inspectFrames(bytes: Uint8Array, options: InspectOptions): Promise<StreamResult> {
  const inspector = new StreamInspector(options);
  void inspector.feed(bytes);
  const result = await inspector.finish();
  result.frames.forEach((f, i) => { f.index = i + 1; });
  return result;
}

export { StreamInspector } from './stream.js';
export { detectAndInspect, decodeTextInput, type DetectOptions } from './detect.js';
export { ConnectionInspector, type ConnectionOptions } from './capture/connection.js';
export { inspectCapture, mergeCaptureReports, frameOrder, type CaptureOptions, type FrameContextInfo } from './capture/session.js';
export { inspectCaptureStream, type ReadInto, type StreamCaptureOptions } from './capture/streaming.js';
export { readCapture, CaptureScanner, type CaptureFile, type Packet } from './capture/pcap.js';
export { formatTable, formatJson, problemCount } from './table.js';
export { closeCodeName, opcodeName } from './registry.js';
export { PROBLEMS, problem } from './problems.js';
export { hexView, payloadViews } from './payload.js';
export { previewText } from './frame.js';
export { streamInflater } from './inflate.js';
export type * from './types.js';
