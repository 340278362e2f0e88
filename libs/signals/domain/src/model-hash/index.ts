export * from './fingerprint';
export { merkleRoot, tensorLeaf, type TensorLeafInput } from './merkle';
export * from './parse-model-hash';
export { SAFETENSORS_MAX_HEADER_BYTES } from './safetensors';
