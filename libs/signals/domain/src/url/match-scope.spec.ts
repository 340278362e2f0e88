import { SignalValidationError } from '../errors';
import { signalId } from '../identity';
import { canonicalizeUrl } from './canonicalize-url';
import { parseUrlMatchScope, scopedUrlValue } from './match-scope';

describe(parseUrlMatchScope.name, () => {
  it.each([
    ['exact', 'exact'],
    ['EXACT', 'exact'],
    [' Path-Prefix ', 'path-prefix'],
    ['PATH_PREFIX', 'path-prefix'],
    ['URL_MATCH_SCOPE_PATH_PREFIX', 'path-prefix'],
    ['host', 'host'],
    ['Domain', 'domain'],
  ])('accepts %j', (raw, scope) => {
    expect(parseUrlMatchScope(raw)).toBe(scope);
  });

  it.each(['', 'prefix', 'subdomain', 'URL_MATCH_SCOPE_UNSPECIFIED', 'path prefix'])('rejects %j with UNSUPPORTED_MATCH_SCOPE', (raw) => {
    expect(() => parseUrlMatchScope(raw)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_MATCH_SCOPE', field: 'scope' }));
  });
});

describe(scopedUrlValue.name, () => {
  const c = canonicalizeUrl('HTTPS://Www.Example.co.uk:8443/a/./b?x=1#f');

  it('gives the value at each scope', () => {
    expect(scopedUrlValue(c, 'exact')).toBe('https://www.example.co.uk:8443/a/b?x=1');
    expect(scopedUrlValue(c, 'path-prefix')).toBe('https://www.example.co.uk:8443/a/b');
    expect(scopedUrlValue(c, 'host')).toBe('www.example.co.uk');
    expect(scopedUrlValue(c, 'domain')).toBe('example.co.uk');
  });

  it('ignores the port at host scope, so one host signal covers all its ports', () => {
    const a = canonicalizeUrl('http://www.example.com:8080/x');
    const b = canonicalizeUrl('https://www.example.com/y');
    expect(signalId({ type: 'url', scope: 'host' }, scopedUrlValue(a, 'host'))).toBe(signalId({ type: 'url', scope: 'host' }, scopedUrlValue(b, 'host')));
  });

  it('puts subdomains of one registrable domain under one domain signal', () => {
    expect(scopedUrlValue(canonicalizeUrl('http://a.example.test/'), 'domain')).toBe(scopedUrlValue(canonicalizeUrl('https://b.c.EXAMPLE.test./x'), 'domain'));
  });

  it.each(['http://1.2.3.4/', 'http://[2001:db8::1]/', 'http://co.uk/', 'http://github.io/', 'http://localhost/'])(
    'has no domain scope for %j',
    (url) => {
      expect(() => scopedUrlValue(canonicalizeUrl(url), 'domain')).toThrow(SignalValidationError);
      expect(() => scopedUrlValue(canonicalizeUrl(url), 'domain')).toThrow(expect.objectContaining({ code: 'URL_SCOPE_UNAVAILABLE' }));
    },
  );

  it('keeps an IP host at the other scopes', () => {
    const ip = canonicalizeUrl('http://0x7f.1:8080/a?b');
    expect(scopedUrlValue(ip, 'host')).toBe('127.0.0.1');
    expect(scopedUrlValue(ip, 'path-prefix')).toBe('http://127.0.0.1:8080/a');
  });

  it('rejects an unknown scope from an untyped caller', () => {
    expect(() => scopedUrlValue(c, 'nope' as never)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_MATCH_SCOPE' }));
  });
});
