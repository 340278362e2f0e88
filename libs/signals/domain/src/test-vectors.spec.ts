import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { canonicalizeSignal, type SignalInput } from './canonicalize';
import { kindKey } from './identity';

// The published vectors come from an independent implementation (tools/identity/make-vectors.py, Python):
// this library must reproduce each canonical value and signal id exactly, as any client language must.
interface Vector {
  input: SignalInput;
  kindKey: string;
  canonical: string;
  signalId: string;
}
const file = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'signal-id-test-vectors.json'), 'utf8')) as { vectors: Vector[] };

describe('signal id test vectors', () => {
  it.each(file.vectors.map((v) => [`${v.kindKey} ${JSON.stringify(v.input.value)}`, v] as const))('%s', (_name, vector) => {
    const signal = canonicalizeSignal(vector.input);
    expect({ kindKey: kindKey(signal.kind), canonical: signal.canonical, signalId: signal.signalId }).toEqual({
      kindKey: vector.kindKey,
      canonical: vector.canonical,
      signalId: vector.signalId,
    });
  });

  it('covers every signal type', () => {
    expect(new Set(file.vectors.map((v) => v.kindKey.split(':')[0]))).toEqual(new Set(['url', 'model-hash', 'prompt-pattern']));
  });
});
