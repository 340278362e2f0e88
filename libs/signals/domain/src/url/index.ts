export { canonicalizeUrl, type CanonicalUrl, MAX_URL_LENGTH } from './canonicalize-url';
export { type HostKind } from './lookup-expressions';
export { parseUrlMatchScope, scopedUrlValue } from './match-scope';
