import { kindKey, signalId } from './identity';

describe(signalId.name, () => {
  it('derives a prefixed 128-bit id from the kind and the canonical value', () => {
    // sha256("url:domain\u0000example.com"), first 32 hex digits; reproducible in any language.
    expect(signalId({ type: 'url', scope: 'domain' }, 'example.com')).toMatch(/^url_[0-9a-f]{32}$/);
    expect(signalId({ type: 'model-hash', algorithm: 'sha256' }, 'a'.repeat(64))).toMatch(/^mh_[0-9a-f]{32}$/);
    expect(signalId({ type: 'prompt-pattern', kind: 'keyword' }, 'placeholder phrase')).toMatch(/^pp_[0-9a-f]{32}$/);
  });

  it('is deterministic and separates kinds sharing a canonical value', () => {
    const exact = signalId({ type: 'url', scope: 'host' }, 'example.com');
    expect(signalId({ type: 'url', scope: 'host' }, 'example.com')).toBe(exact);
    expect(signalId({ type: 'url', scope: 'domain' }, 'example.com')).not.toBe(exact);
  });

  it('names the kind namespace', () => {
    expect(kindKey({ type: 'model-hash', algorithm: 'autov2' })).toBe('model-hash:autov2');
  });
});
