// Regenerates confusables.data.ts from Unicode TR39 confusables.txt data. Not run at build or run time.
//
//   cargo fetch of the crate unicode-security 0.1.3 (crates.io; its src/tables.rs holds confusables.txt 18.0.0
//   as the CONFUSABLES table), then:
//   node confusables.generate.mjs <path>/unicode-security-0.1.3/src/tables.rs > confusables.data.ts
//
// Rules (why: we fold text for matching, not to compare skeletons, so the result must stay readable and
// case-consistent):
// - ASCII is never a source (TR39 maps m→rn, I→l, 0→O; leetspeak folding decides about digits instead).
// - Keys are the case-folded, NFKC- and NFD-stable forms the normaliser sees after NFKC, NFD and case folding.
// - Only scripts where folding helps matching and does not mangle ordinary text (ALLOWED_SCRIPTS).
// - A key's value is its own prototype reduced to ASCII (combining marks dropped, prototype "rn" read as "m");
//   else a prototype reached through another folded character (в → ʙ → b); else the prototype of an upper-case
//   form (Β → B gives β → b). A capital-like letter whose prototype is "l" folds to "i" (TR39 merges I into l).
// - Letters and digits fold only to letters/digits, punctuation only to punctuation, symbols to at most three
//   printable ASCII characters.
import { readFileSync } from 'node:fs';

const ALLOWED_SCRIPTS = [
  'Latin', 'Greek', 'Cyrillic', 'Armenian', 'Cherokee', 'Coptic', 'Lisu', 'Canadian_Aboriginal', 'Common',
  // Historic or small scripts that homoglyph generators draw on; nobody's prompt text is damaged by folding them.
  'Old_Italic', 'Gothic', 'Runic', 'Carian', 'Lycian', 'Lydian', 'Elbasan', 'Caucasian_Albanian', 'Old_Permic',
  'Glagolitic', 'Deseret', 'Osage', 'Warang_Citi',
];

// Not in TR39 (their prototypes are themselves or Cyrillic letters): Latin small capitals, kra, and the negative
// circled / squared capitals that NFKC leaves alone. Reached by fancy-text generators.
const SUPPLEMENT = new Map([
  ...[...'ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘꞯʀꜱᴛᴜᴠᴡʏᴢ'].map((c, i) => [c.codePointAt(0), 'abcdefghijklmnopqrstuvwyz'[i]]),
  [0x0138, 'k'],
  ...Array.from({ length: 26 }, (_, i) => [0x1f150 + i, String.fromCharCode(97 + i)]),
  ...Array.from({ length: 26 }, (_, i) => [0x1f170 + i, String.fromCharCode(97 + i)]),
]);

/** Must stay equal to caseFold() in normalize.ts. */
function caseFold(ch) {
  if (ch === 'ß' || ch === 'ẞ') return 'ss';
  if (ch === 'ς') return 'σ';
  if (ch === '\u0345') return 'ι';
  const cp = ch.codePointAt(0);
  if ((cp >= 0x13a0 && cp <= 0x13fd) || (cp >= 0xab70 && cp <= 0xabbf)) return ch.toUpperCase(); // Cherokee folds to upper case
  return ch.toLowerCase();
}

const tables = readFileSync(process.argv[2], 'utf8');
const start = tables.indexOf('const CONFUSABLES');
const body = tables.slice(start, tables.indexOf('];', start));
const tr39 = new Map();
for (const m of body.matchAll(/\('\\u\{([0-9a-f]+)\}',\s*&\[([^\]]*)\]\)/g)) {
  tr39.set(parseInt(m[1], 16), [...m[2].matchAll(/\\u\{([0-9a-f]+)\}/g)].map((x) => parseInt(x[1], 16)));
}
if (tr39.size < 6000) throw new Error(`parsed only ${tr39.size} confusables`);

// Script_Extensions, so that Common punctuation of an excluded script (Devanagari danda) is excluded too.
const allowed = new RegExp(`^[${ALLOWED_SCRIPTS.map((s) => `\\p{scx=${s}}`).join('')}]$`, 'u');
const letterOrNumber = /^[\p{L}\p{N}]$/u;

function ascii(cps, source) {
  // TR39 merges I into l; a capital-like letter (not Ll) whose prototype is "l" reads as I.
  if (cps.length === 1 && cps[0] === 0x6c && /^[\p{Lu}\p{Lt}\p{Lo}]$/u.test(source)) return 'i';
  let s = String.fromCodePoint(...cps).normalize('NFD').replace(/\p{M}/gu, '');
  if (s === 'rn') s = 'm';
  if (letterOrNumber.test(source)) {
    s = s.replace(/'/g, '');
    return /^[A-Za-z0-9]{1,3}$/.test(s) ? s.toLowerCase() : undefined;
  }
  // Punctuation must not turn into letters: "¡hola" has to stay a separate word.
  const printable = /^\p{P}$/u.test(source) ? /^[\x21-\x7e]{1,3}$/.test(s) && !/[A-Za-z0-9]/.test(s) : /^[\x21-\x7e]{1,3}$/.test(s);
  return printable ? s.toLowerCase() : undefined;
}

function isKey(cp) {
  const ch = String.fromCodePoint(cp);
  return cp > 0x7f && caseFold(ch) === ch && ch.normalize('NFKC') === ch && ch.normalize('NFD') === ch && allowed.test(ch);
}

// Candidate keys: every source, the case-folded form of every source, every supplement key.
const uppers = new Map(); // folded key → upper-case sources folding to it
const candidates = new Set(SUPPLEMENT.keys());
for (const cp of tr39.keys()) {
  const folded = caseFold(String.fromCodePoint(cp));
  if ([...folded].length !== 1) continue;
  const k = folded.codePointAt(0);
  candidates.add(k);
  if (k !== cp) uppers.set(k, [...(uppers.get(k) ?? []), cp]);
}

const table = new Map();
for (const [k, v] of SUPPLEMENT) table.set(k, v);
for (let pass = 0; pass < 3; pass++) {
  for (const k of [...candidates].sort((a, b) => a - b)) {
    if (!isKey(k) || table.has(k)) continue;
    const ch = String.fromCodePoint(k);
    const proto = tr39.get(k);
    let value = proto && ascii(proto, ch);
    if (!value && proto?.length === 1 && table.has(proto[0])) value = table.get(proto[0]);
    if (!value && pass > 0) {
      for (const u of uppers.get(k) ?? []) {
        const p = tr39.get(u);
        const v = p && (ascii(p, String.fromCodePoint(u)) ?? (p.length === 1 ? table.get(p[0]) : undefined));
        if (v) {
          value = v;
          break;
        }
      }
    }
    if (value) table.set(k, value);
  }
}

const byValue = new Map();
for (const [k, v] of [...table].sort((a, b) => a[0] - b[0])) byValue.set(v, [...(byValue.get(v) ?? []), k]);
const entries = [...byValue].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

const out = [];
out.push('// GENERATED by confusables.generate.mjs — do not edit by hand.');
out.push('// Source: Unicode TR39 confusables.txt, version 18.0.0 (© Unicode, Inc., https://www.unicode.org/terms_of_use.html),');
out.push('// as tabulated in the unicode-security crate 0.1.3 (src/tables.rs, CONFUSABLES), reduced to folds into ASCII');
out.push('// by the rules in confusables.generate.mjs, plus a small supplement listed there.');
out.push(`// ${table.size} characters. Format: folded ASCII value → space-separated hex code points.`);
out.push('export const CONFUSABLE_FOLDS: Readonly<Record<string, string>> = {');
for (const [v, cps] of entries) out.push(`  ${JSON.stringify(v)}: '${cps.map((c) => c.toString(16)).join(' ')}',`);
out.push('};');
process.stdout.write(`${out.join('\n')}\n`);
