// The decoding worker: loads the WebAssembly core once, then turns each input (bytes or
// text) into a report off the page's main thread, so the page stays responsive.
import { loadCore, createCodec } from '../../src/codec/index.js';
import { detectAndInspect } from '../../src/inspect/detect.js';
import type { Role } from '../../src/inspect/types.js';

export interface WorkerRequest { id: number; input: Uint8Array | string; role?: Role }

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown): void };
const ready = loadCore().then(() => createCodec());

scope.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const { id, input, role } = event.data;
  try {
    const codec = await ready;
    const report = await detectAndInspect(input, { codec, ...(role ? { role } : {}) });
    scope.postMessage({ id, report, core: codec.core, simd: codec.simd });
  } catch (error) {
    scope.postMessage({ id, error: (error as Error).message });
  }
};
