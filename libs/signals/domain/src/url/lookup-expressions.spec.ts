import { canonicalizeUrl } from './canonicalize-url';
import { hostSuffixes, lookupExpressions, pathPrefixes } from './lookup-expressions';

describe(lookupExpressions.name, () => {
  // The published examples (developers.google.com/safe-browsing/v4/urls-hashing#suffixprefix-expressions), in order.
  it.each([
    [
      'http://a.b.c/1/2.html?param=1',
      ['a.b.c/1/2.html?param=1', 'a.b.c/1/2.html', 'a.b.c/', 'a.b.c/1/', 'b.c/1/2.html?param=1', 'b.c/1/2.html', 'b.c/', 'b.c/1/'],
    ],
    [
      'http://a.b.c.d.e.f.g/1.html',
      [
        'a.b.c.d.e.f.g/1.html',
        'a.b.c.d.e.f.g/',
        'c.d.e.f.g/1.html',
        'c.d.e.f.g/',
        'd.e.f.g/1.html',
        'd.e.f.g/',
        'e.f.g/1.html',
        'e.f.g/',
        'f.g/1.html',
        'f.g/',
      ],
    ],
    ['http://1.2.3.4/1/', ['1.2.3.4/1/', '1.2.3.4/']],
  ])('follows the published example %j', (url, expected) => {
    expect(canonicalizeUrl(url).lookupExpressions).toEqual(expected);
  });

  it('caps at 5 hosts × 6 paths', () => {
    const c = canonicalizeUrl('http://a.b.c.d.e.f.example.com/1/2/3/4/5/6.html?q=1');
    expect(c.lookupExpressions).toHaveLength(30);
    expect(new Set(c.lookupExpressions).size).toBe(30);
    expect(c.lookupExpressions.slice(0, 6)).toEqual([
      'a.b.c.d.e.f.example.com/1/2/3/4/5/6.html?q=1',
      'a.b.c.d.e.f.example.com/1/2/3/4/5/6.html',
      'a.b.c.d.e.f.example.com/',
      'a.b.c.d.e.f.example.com/1/',
      'a.b.c.d.e.f.example.com/1/2/',
      'a.b.c.d.e.f.example.com/1/2/3/',
    ]);
    expect(hostSuffixes('a.b.c.d.e.f.example.com', 'domain')).toEqual(['a.b.c.d.e.f.example.com', 'd.e.f.example.com', 'e.f.example.com', 'f.example.com', 'example.com']);
  });

  it('keeps an empty query and never duplicates', () => {
    expect(pathPrefixes('/q', '')).toEqual(['/q?', '/q', '/']);
    expect(pathPrefixes('/', undefined)).toEqual(['/']);
    expect(pathPrefixes('/a/b/', undefined)).toEqual(['/a/b/', '/', '/a/']);
    expect(canonicalizeUrl('http://example.com/').lookupExpressions).toEqual(['example.com/']);
  });

  it('uses IP hosts exactly and leaves ports out', () => {
    expect(canonicalizeUrl('http://[2001:db8::1]:8080/a/b').lookupExpressions).toEqual(['[2001:db8::1]/a/b', '[2001:db8::1]/', '[2001:db8::1]/a/']);
    expect(canonicalizeUrl('http://www.example.com:8080/').lookupExpressions).toEqual(['www.example.com/', 'example.com/']);
  });

  it('does not suffix a single-label host to the top-level domain', () => {
    expect(hostSuffixes('localhost', 'domain')).toEqual(['localhost']);
    expect(hostSuffixes('example.com', 'domain')).toEqual(['example.com']);
  });
});
