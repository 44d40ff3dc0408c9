// The wsframe core. Built twice from this one entry (scripts/build-core.mjs):
// build/core.simd.wasm with --enable simd, build/core.wasm without; ASC_FEATURE_SIMD
// selects the wide paths at compile time. Only numbers cross the boundary.
export { STATE, RESULT, DESCRIPTORS, inputPtr } from './regions';
export { mask } from './mask';
export { validateUtf8 } from './utf8';
export { parse } from './parse';
