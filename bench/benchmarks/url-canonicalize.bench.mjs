// Baseline: the bare WHATWG parser, `new URL(s)` + a Set lookup of its `href`, on the same inputs. Measured:
// @signal-mesh/signals-domain canonicalizeUrl (Safe Browsing rules) + signalId + a Set lookup of the id. Ratio < 1
// means canonical identity costs more than bare parsing; the goal is >= 0.5. Inputs are synthetic (example.com,
// *.test, *.invalid, documentation IPs): many spellings of a few thousand URLs.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { canonicalizeUrl, signalId } = require('@signal-mesh/signals-domain');

const COUNT = Number(process.env.BENCH_URL_COUNT ?? 50_000);
const SPELLINGS_PER_URL = 10;
const ROUNDS = 7;
const KIND = { type: 'url', scope: 'exact' };

function prng(seed) {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

const WORDS = ['demo', 'tool', 'app', 'free', 'ai', 'studio', 'mirror', 'cdn', 'img', 'guide', 'tutorial', 'pro', 'x', 'v2', 'login', 'gallery'];
const SUFFIXES = ['example.com', 'example.net', 'example.co.uk', 'example.test', 'example.invalid', 'example.github.io'];

function baseUrl(r) {
  const labels = Array.from({ length: r(3) }, () => WORDS[r(WORDS.length)] + (r(3) === 0 ? r(100) : ''));
  const host = r(20) === 0 ? `192.0.2.${r(256)}` : [...labels, `${WORDS[r(WORDS.length)]}${r(1000)}`, SUFFIXES[r(SUFFIXES.length)]].join('.');
  const path = Array.from({ length: r(5) }, () => WORDS[r(WORDS.length)] + (r(2) ? `-${r(10_000)}` : '')).join('/');
  const query = r(3) === 0 ? `?id=${r(100_000)}&ref=${WORDS[r(WORDS.length)]}` : '';
  return { scheme: r(2) ? 'https' : 'http', host, path: `/${path}${path && r(3) === 0 ? '/' : ''}`, query };
}

function randomCase(s, r) {
  let out = '';
  for (const c of s) out += r(3) === 0 ? c.toUpperCase() : c;
  return out;
}

function respell(u, r) {
  // Always with a scheme: new URL() throws without one, and exceptions would slow the baseline, not measure it.
  const scheme = `${randomCase(u.scheme, r)}://`;
  const host = randomCase(u.host, r) + (r(10) === 0 ? '.' : '');
  const port = r(5) === 0 ? (u.scheme === 'http' ? ':80' : ':443') : '';
  let path = u.path;
  if (r(4) === 0) path = path.replace('/', '/./');
  if (r(5) === 0) path = `/x/..${path}`;
  if (r(5) === 0) path = path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`);
  if (r(8) === 0) path = `/${path}`;
  const fragment = r(4) === 0 ? `#section-${r(10)}` : '';
  const ws = r(10) === 0 ? ' ' : '';
  return `${ws}${scheme}${host}${port}${path}${u.query}${fragment}${ws}`;
}

function generate() {
  const r = prng(0x5eed);
  const bases = Array.from({ length: Math.ceil(COUNT / SPELLINGS_PER_URL) }, () => baseUrl(r));
  const inputs = Array.from({ length: COUNT }, (_, i) => respell(bases[i % bases.length], r));
  for (let i = inputs.length - 1; i > 0; i--) {
    const j = r(i + 1);
    [inputs[i], inputs[j]] = [inputs[j], inputs[i]];
  }
  return { bases: bases.map((u) => `${u.scheme}://${u.host}${u.path}${u.query}`), inputs };
}

function timed(fn, inputs) {
  const t0 = performance.now();
  const hits = fn(inputs);
  return { rate: inputs.length / ((performance.now() - t0) / 1000), hits };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export default {
  name: 'url-canonicalize',
  description: `${COUNT.toLocaleString('en-US')} synthetic URLs (${SPELLINGS_PER_URL} spellings each of ${Math.ceil(COUNT / SPELLINGS_PER_URL).toLocaleString('en-US')} URLs), canonicalize + signal id vs new URL() + Set`,
  async run(ctx) {
    const { bases, inputs } = generate();
    const knownHrefs = new Set(bases.map((b) => new URL(b).href));
    const knownIds = new Set(bases.map((b) => signalId(KIND, canonicalizeUrl(b).url)));

    const baseline = (xs) => {
      let hits = 0;
      for (const s of xs) {
        try {
          if (knownHrefs.has(new URL(s).href)) hits++;
        } catch {
          // not a URL to the WHATWG parser: a miss
        }
      }
      return hits;
    };
    const measured = (xs) => {
      let hits = 0;
      for (const s of xs) {
        try {
          if (knownIds.has(signalId(KIND, canonicalizeUrl(s).url))) hits++;
        } catch {
          // a coded validation error: a miss
        }
      }
      return hits;
    };

    // Warm up both paths, then alternate rounds so machine noise hits both alike.
    baseline(inputs);
    measured(inputs);
    const base = [];
    const lib = [];
    let baseHits = 0;
    let libHits = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const b = timed(baseline, inputs);
      const m = timed(measured, inputs);
      base.push(b.rate);
      lib.push(m.rate);
      baseHits = b.hits;
      libHits = m.hits;
    }
    const value = median(lib);
    const baselineValue = median(base);
    const pct = (n) => `${((100 * n) / inputs.length).toFixed(1)}%`;
    ctx.log(`new URL() + Set: ${Math.round(baselineValue)}/s, ${pct(baseHits)} of spellings found`);
    ctx.log(`canonicalizeUrl + signalId: ${Math.round(value)}/s, ${pct(libHits)} of spellings found`);
    return [{ figure: 'URL canonicalize + id', unit: 'urls/s', value, baseline: baselineValue, baselineName: 'new URL() + Set lookup' }];
  },
};
