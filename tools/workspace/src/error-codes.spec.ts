import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { VALIDATION_CODES } from '@signal-mesh/signals-domain';

const proto = readFileSync(join(__dirname, '..', '..', '..', 'proto', 'signalmesh', 'v1', 'error.proto'), 'utf8');

describe('validation codes', () => {
  it('are the same closed set in the domain library and in proto ErrorCode', () => {
    const enumBody = /enum ErrorCode \{([^}]*)\}/.exec(proto)?.[1] ?? '';
    const protoCodes = [...enumBody.matchAll(/ERROR_CODE_([A-Z0-9_]+)\s*=/g)].map((m) => m[1]).filter((c) => c !== 'UNSPECIFIED');
    expect(protoCodes).toEqual([...VALIDATION_CODES]);
  });
});
