import { thrownCode } from '@signal-mesh/testing';

import type { ValidationCode } from '../errors';
import { canonicalizeGeneral, canonicalizeUrl, MAX_URL_LENGTH } from './canonicalize-url';


describe(canonicalizeUrl.name, () => {
  // The published list (developers.google.com/safe-browsing/v4/urls-hashing#canonicalization), minus the examples
  // that contradict a deliberate decision; see the tables further down for what those give instead.
  const published: [string, string][] = [
    ['http://host/%25%32%35', 'http://host/%25'],
    ['http://host/%25%32%35%25%32%35', 'http://host/%25%25'],
    ['http://host/%2525252525252525', 'http://host/%25'],
    ['http://host/asdf%25%32%35asd', 'http://host/asdf%25asd'],
    ['http://host/%%%25%32%35asd%%', 'http://host/%25%25%25asd%25%25'],
    ['http://www.google.com/', 'http://www.google.com/'],
    [
      'http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/%77%77%77%2E%65%62%61%79%2E%63%6F%6D/',
      'http://168.188.99.26/.secure/www.ebay.com/',
    ],
    [
      'http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/',
      'http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/',
    ],
    ['http://3279880203/blah', 'http://195.127.0.11/blah'],
    ['http://www.google.com/blah/..', 'http://www.google.com/'],
    ['www.google.com/', 'http://www.google.com/'],
    ['www.google.com', 'http://www.google.com/'],
    ['http://www.evil.com/blah#frag', 'http://www.evil.com/blah'],
    ['http://www.GOOgle.com/', 'http://www.google.com/'],
    ['http://www.google.com.../', 'http://www.google.com/'],
    ['http://www.google.com/foo\tbar\rbaz\n2', 'http://www.google.com/foobarbaz2'],
    ['http://www.google.com/q?', 'http://www.google.com/q?'],
    ['http://www.google.com/q?r?', 'http://www.google.com/q?r?'],
    ['http://www.google.com/q?r?s', 'http://www.google.com/q?r?s'],
    ['http://evil.com/foo#bar#baz', 'http://evil.com/foo'],
    ['http://evil.com/foo;', 'http://evil.com/foo;'],
    ['http://evil.com/foo?bar;', 'http://evil.com/foo?bar;'],
    ['http://notrailingslash.com', 'http://notrailingslash.com/'],
    ['  http://www.google.com/  ', 'http://www.google.com/'],
    ['https://www.securesite.com/', 'https://www.securesite.com/'],
    ['http://host.com/ab%23cd', 'http://host.com/ab%23cd'],
    ['http://host.com//twoslashes?more//slashes', 'http://host.com/twoslashes?more//slashes'],
    // From the same rules as published by Yandex Safe Browsing: an escaped slash decodes before path resolution.
    [
      'http://%32%31%33%2e%31%38%30%2e%32%31%30%2e5/%2e%73%65%63%75%72%65%2f%77%77%77%2e%6d%6f%69%6b%72%75%67%2e%72%75/',
      'http://213.180.210.5/.secure/www.moikrug.ru/',
    ],
  ];

  it.each(published)('follows the published Safe Browsing example %j', (input, expected) => {
    expect(canonicalizeUrl(input).url).toBe(expected);
    expect(canonicalizeGeneral(input).url).toBe(expected);
  });

  it('applies the published path example of the host%23.com case to a valid host', () => {
    // Published with host `host%23.com`, which this library rejects (a domain cannot contain `#`); the path part holds.
    expect(canonicalizeUrl('http://host.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833%252944_55%252B').url).toBe(
      'http://host.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+',
    );
  });

  // Published examples this library answers differently, on purpose.
  it.each<[string, ValidationCode]>([
    ['http://host%23.com/', 'URL_INVALID_HOST'],
    ['http://\x01\x80.com/', 'URL_INVALID_HOST'],
    ['http:// leadingspace.com/', 'URL_INVALID_HOST'],
    ['http://%20leadingspace.com/', 'URL_INVALID_HOST'],
    ['%20leadingspace.com/', 'URL_INVALID_HOST'],
  ])('rejects the published host %j that no domain name can be, with %s', (input, code) => {
    expect(thrownCode(() => canonicalizeUrl(input))).toBe(code);
  });

  it('keeps a non-default port, which Safe Browsing drops (published: gotaport.com:1234 → gotaport.com)', () => {
    expect(canonicalizeUrl('http://www.gotaport.com:1234/').url).toBe('http://www.gotaport.com:1234/');
  });

  it.each([
    ['HTTP://Example.COM:80/a', 'http://example.com/a'],
    ['https://example.com:443/a', 'https://example.com/a'],
    ['https://example.com:80/a', 'https://example.com:80/a'],
    ['http://example.com:0080/', 'http://example.com/'],
    ['http://example.com:/', 'http://example.com/'],
    ['example.com:8080/a', 'http://example.com:8080/a'],
    ['localhost:8080', 'http://localhost:8080/'],
    ['//example.com/a', 'http://example.com/a'],
    ['http:example.com/a', 'http://example.com/a'],
    ['http:\\\\example.com/a', 'http://example.com/a'],
    ['http:///example.com/a', 'http://example.com/a'],
  ])('normalises scheme and port: %j', (input, expected) => {
    expect(canonicalizeUrl(input).url).toBe(expected);
  });

  it.each([
    ['http://user:secret@example.com/a', 'http://example.com/a'],
    ['http://a@b@example.com/', 'http://example.com/'],
    ['http://user@example.com:8080/', 'http://example.com:8080/'],
  ])('drops userinfo: %j', (input, expected) => {
    expect(canonicalizeUrl(input).url).toBe(expected);
  });

  it.each([
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://0X7F.0.0.1/', '127.0.0.1'],
    ['http://017700000001/', '127.0.0.1'],
    ['http://0177.0.0.01/', '127.0.0.1'],
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://10.1/', '10.0.0.1'],
    ['http://192.168.257/', '192.168.1.1'],
    ['http://192.0x00A80001/', '192.168.0.1'],
    ['http://0/', '0.0.0.0'],
    ['http://1.2.3.4./', '1.2.3.4'],
    ['http://%31.2.3.4/', '1.2.3.4'],
  ])('normalises the IPv4 spelling %j', (input, host) => {
    const c = canonicalizeUrl(input);
    expect(c).toMatchObject({ host, hostKind: 'ipv4', url: `http://${host}/` });
    expect(c.registrableDomain).toBeUndefined();
  });

  it.each([
    ['http://[2001:0DB8:0000:0000:0000:0000:0000:0001]/', '[2001:db8::1]', 'ipv6'],
    ['http://[2001:db8::1]:8080/', '[2001:db8::1]', 'ipv6'],
    ['http://[2001:db8:0:0:1:0:0:1]/', '[2001:db8::1:0:0:1]', 'ipv6'],
    ['http://[2001:0:0:1:0:0:0:1]/', '[2001:0:0:1::1]', 'ipv6'],
    ['http://[2001:db8:1:1:1:1:1:0]/', '[2001:db8:1:1:1:1:1:0]', 'ipv6'],
    ['http://[::]/', '[::]', 'ipv6'],
    ['http://[::1]/', '[::1]', 'ipv6'],
    ['http://[::ffff:1.2.3.4]/', '1.2.3.4', 'ipv4'],
    ['http://[::FFFF:0102:0304]/', '1.2.3.4', 'ipv4'],
    ['http://[64:ff9b::1.2.3.4]/', '1.2.3.4', 'ipv4'],
  ])('normalises the IPv6 literal %j', (input, host, hostKind) => {
    expect(canonicalizeUrl(input)).toMatchObject({ host, hostKind });
  });

  it('keeps the port of an IPv6 host in the URL', () => {
    expect(canonicalizeUrl('https://[2001:db8::1]:8443/x').url).toBe('https://[2001:db8::1]:8443/x');
  });

  it.each([
    ['http://Bücher.example/', 'xn--bcher-kva.example'],
    ['http://B%C3%BCcher.example/', 'xn--bcher-kva.example'],
    ['http://ＥＸＡＭＰＬＥ.test/', 'example.test'],
    ['http://xn--bcher-kva.example/', 'xn--bcher-kva.example'],
    ['http://a..b...example.test./', 'a.b.example.test'],
    ['http://sub_domain.example.com/', 'sub_domain.example.com'],
  ])('normalises the host name %j', (input, host) => {
    expect(canonicalizeUrl(input)).toMatchObject({ host, hostKind: 'domain' });
  });

  it.each([
    ['http://example.com/a/./b/../c', '/a/c'],
    ['http://example.com/a/b/../../..', '/'],
    ['http://example.com/../a', '/a'],
    ['http://example.com/a/.', '/a/'],
    ['http://example.com/a//b///c/', '/a/b/c/'],
    ['http://example.com/%2e%2E/a/%2e/b', '/a/b'],
    ['http://example.com/a%2Fb', '/a/b'],
    ['http://example.com/a%3Fb?c', '/a%3Fb'],
    ['http://example.com/caf%C3%A9', '/caf%C3%A9'],
    ['http://example.com/café', '/caf%C3%A9'],
    ['http://example.com/%e9', '/%E9'],
    ['http://example.com/a b', '/a%20b'],
    ['http://example.com/%7Euser', '/~user'],
    ['http://example.com?q', '/'],
  ])('canonicalizes the path of %j', (input, path) => {
    expect(canonicalizeUrl(input).path).toBe(path);
  });

  it('keeps the query apart from escaping: no dot or slash resolution, case preserved', () => {
    const c = canonicalizeUrl('http://example.com/p?A=/./..//x&b=%2541%20c#frag');
    expect(c.query).toBe('A=/./..//x&b=A%20c');
    expect(c.url).toBe('http://example.com/p?A=/./..//x&b=A%20c');
  });

  it('describes the parts, derived ones included when serialized', () => {
    const c = canonicalizeUrl('https://Sub.Example.co.uk:8443/a/b?x=1');
    expect(c.registrableDomain).toBe('example.co.uk');
    expect(JSON.parse(JSON.stringify(c))).toEqual({
      url: 'https://sub.example.co.uk:8443/a/b?x=1',
      scheme: 'https',
      host: 'sub.example.co.uk',
      port: 8443,
      path: '/a/b',
      query: 'x=1',
      hostKind: 'domain',
      registrableDomain: 'example.co.uk',
      lookupExpressions: [
        'sub.example.co.uk/a/b?x=1',
        'sub.example.co.uk/a/b',
        'sub.example.co.uk/',
        'sub.example.co.uk/a/',
        'example.co.uk/a/b?x=1',
        'example.co.uk/a/b',
        'example.co.uk/',
        'example.co.uk/a/',
        'co.uk/a/b?x=1',
        'co.uk/a/b',
        'co.uk/',
        'co.uk/a/',
      ],
    });
  });

  describe('registrable domain', () => {
    it.each([
      ['http://example.com/', 'example.com'],
      ['http://a.b.c.example.com/', 'example.com'],
      ['http://www.example.co.uk/', 'example.co.uk'],
      ['http://deep.sub.example.co.uk/', 'example.co.uk'],
      // Private PSL suffixes count: each user site on a hosting platform is its own registrable domain.
      ['http://example.github.io/x', 'example.github.io'],
      ['http://a.b.example.github.io/', 'example.github.io'],
      ['http://site.example.test/', 'example.test'],
      ['http://mirror.example.invalid/', 'example.invalid'],
      ['http://Bücher.example/', 'xn--bcher-kva.example'],
    ])('of %j is %j', (input, domain) => {
      expect(canonicalizeUrl(input).registrableDomain).toBe(domain);
    });

    it.each(['http://co.uk/', 'http://github.io/', 'http://localhost/', 'http://1.2.3.4/', 'http://[2001:db8::1]/'])(
      'is absent for %j (a public suffix or an IP)',
      (input) => {
        expect(canonicalizeUrl(input).registrableDomain).toBeUndefined();
      },
    );
  });

  describe('errors', () => {
    it.each<[unknown, ValidationCode]>([
      ['', 'VALUE_REQUIRED'],
      ['  \t\n ', 'VALUE_REQUIRED'],
      [undefined, 'VALUE_REQUIRED'],
      [`http://example.com/${'a'.repeat(MAX_URL_LENGTH)}`, 'VALUE_TOO_LONG'],
      ['mailto:someone@example.com', 'UNSUPPORTED_SCHEME'],
      ['javascript:alert(1)', 'UNSUPPORTED_SCHEME'],
      ['javascript:/*x*/alert(1)', 'UNSUPPORTED_SCHEME'],
      ['data:text/html,hello', 'UNSUPPORTED_SCHEME'],
      ['ftp://files.example.com/a', 'UNSUPPORTED_SCHEME'],
      ['file:///etc/hosts', 'UNSUPPORTED_SCHEME'],
      ['ws://example.com/', 'UNSUPPORTED_SCHEME'],
      ['http://', 'URL_EMPTY_HOST'],
      ['http:///', 'URL_EMPTY_HOST'],
      ['https://.../a', 'URL_EMPTY_HOST'],
      ['http://user@/a', 'URL_EMPTY_HOST'],
      ['/just/a/path', 'URL_EMPTY_HOST'],
      ['http://:8080/', 'URL_EMPTY_HOST'],
      ['http://exa mple.com/', 'URL_INVALID_HOST'],
      ['http://exa%2Fmple.com/', 'URL_INVALID_HOST'],
      ['http://example.com%3A80/', 'URL_INVALID_HOST'],
      ['http://ex*ample.com/', 'URL_INVALID_HOST'],
      ['http://example.com\\path', 'URL_INVALID_HOST'],
      ['http://%C3%28.example/', 'URL_INVALID_HOST'],
      ['http://1.2.3.256/', 'URL_INVALID_HOST'],
      ['http://1.2.3.4.5/', 'URL_INVALID_HOST'],
      ['http://4294967296/', 'URL_INVALID_HOST'],
      ['http://example.123/', 'URL_INVALID_HOST'],
      ['http://09.1.1.1/', 'URL_INVALID_HOST'],
      ['http://[2001:db8::1/', 'URL_INVALID_HOST'],
      ['http://[2001:db8::1]x/', 'URL_INVALID_HOST'],
      ['http://[1:2:3:4:5:6:7:8:9]/', 'URL_INVALID_HOST'],
      ['http://[1::2::3]/', 'URL_INVALID_HOST'],
      ['http://[12345::]/', 'URL_INVALID_HOST'],
      ['http://[::1.2.3.04]/', 'URL_INVALID_HOST'],
      ['http://[fe80::1%25eth0]/', 'URL_INVALID_HOST'],
      ['http://2001:db8::1/', 'URL_INVALID_HOST'],
      ['http://example.com:0/', 'URL_INVALID_PORT'],
      ['http://example.com:65536/', 'URL_INVALID_PORT'],
      ['http://example.com:99999999999/', 'URL_INVALID_PORT'],
      ['http://example.com:8o/', 'URL_INVALID_PORT'],
      ['http://example.com:-1/', 'URL_INVALID_PORT'],
    ])('rejects %j with %s', (input, code) => {
      expect(thrownCode(() => canonicalizeUrl(input as string))).toBe(code);
    });

    it('counts the length before canonicalization', () => {
      const path = '/'.padEnd(MAX_URL_LENGTH - 'http://example.com'.length, 'a');
      expect(canonicalizeUrl(`http://example.com${path}`).path).toBe(path);
      expect(thrownCode(() => canonicalizeUrl(`http://example.com${path}a`))).toBe('VALUE_TOO_LONG');
    });

    it('reports the field', () => {
      expect(() => canonicalizeUrl('ftp://example.com/')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_SCHEME', field: 'value' }));
    });
  });
});
