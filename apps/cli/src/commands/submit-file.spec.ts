import { SignalType, TlpMarking } from '@signal-mesh/contracts';

import { csvColumns, formatOf, jsonItem, openSubmitFile, type SubmitItem } from './submit-file';

async function items(text: string, format: 'csv' | 'jsonl', idempotencyPrefix?: string): Promise<SubmitItem[]> {
  const out: SubmitItem[] = [];
  for await (const item of await openSubmitFile([Buffer.from(text)], format, { idempotencyPrefix })) out.push(item);
  return out;
}

const HEADER = 'type,value,scope,kind,categories,marking,sharing_groups,named_orgs,confidence,opinion,valid_until,evidence_note,idempotency_key';

describe(openSubmitFile.name, () => {
  it('turns CSV rows into requests, with the line as client_item_id and ";"-separated lists', async () => {
    const got = await items(`${HEADER}\nurl,https://nudify.example.com/,host,,service.nudify;service.nudify.app,amber,grp_1;grp_2,,90,,2027-01-01,"note, quoted",\n`, 'csv');
    expect(got).toEqual([
      {
        line: 2,
        end: expect.any(Number),
        request: {
          clientItemId: '2',
          idempotencyKey: '',
          contribution: expect.objectContaining({
            signal: expect.objectContaining({ type: SignalType.SIGNAL_TYPE_URL, value: 'https://nudify.example.com/' }),
            categories: ['service.nudify', 'service.nudify.app'],
            marking: TlpMarking.TLP_MARKING_AMBER,
            sharingGroupIds: ['grp_1', 'grp_2'],
            confidence: 90,
            validUntil: new Date('2027-01-01T00:00:00Z'),
            evidenceNote: 'note, quoted',
          }),
        },
      },
    ]);
  });

  it('accepts header columns in any order and case; derives keys from the prefix unless a row has its own', async () => {
    const got = await items('Value,TYPE,idempotency_key\nhttps://a.example.com/,url,\n"multi\nline phrase",prompt-pattern,\nhttps://b.example.com/,url,own-key\n', 'csv', 'batch-7');
    expect(got.map((i) => [i.line, i.request?.clientItemId, i.request?.idempotencyKey, i.request?.contribution?.signal?.value])).toEqual([
      [2, '2', 'batch-7:2', 'https://a.example.com/'],
      [3, '3', 'batch-7:3', 'multi\nline phrase'],
      [5, '5', 'own-key', 'https://b.example.com/'],
    ]);
  });

  it('reports a bad row as an item with a coded error and goes on with the next', async () => {
    const got = await items('type,value,marking,confidence\nurl,https://a.example.com/,purple,\nurl,https://b.example.com/\nurl,https://c.example.com/,green,101\nurl,https://d.example.com/,green,5\n', 'csv');
    expect(got.map((i) => [i.line, i.error?.code ?? 'ok', i.error?.field])).toEqual([
      [2, 'INVALID_MARKING', 'contribution.marking'],
      [3, 'CSV_MALFORMED', ''],
      [4, 'INVALID_CONFIDENCE', 'contribution.confidence'],
      [5, 'ok', undefined],
    ]);
  });

  it('refuses a CSV file whose header is missing, unknown, repeated or lacks type/value, before any item', async () => {
    await expect(items('', 'csv')).rejects.toMatchObject({ code: 'CSV_HEADER_MISSING' });
    await expect(items('type,value,colour\n', 'csv')).rejects.toMatchObject({ code: 'CSV_HEADER_INVALID', message: expect.stringContaining('"colour"') });
    await expect(items('type,value,type\n', 'csv')).rejects.toMatchObject({ code: 'CSV_HEADER_INVALID', message: expect.stringContaining('more than once') });
    await expect(items('type,categories\n', 'csv')).rejects.toMatchObject({ code: 'CSV_HEADER_INVALID', message: expect.stringContaining('value') });
  });

  it('reads JSON lines with snake_case keys, arrays or ";" strings for lists, skipping blank lines', async () => {
    const got = await items(
      [
        '{"type":"model-hash","value":"sha256:' + 'ab'.repeat(32) + '","categories":["model.2c"],"marking":"green","confidence":75}',
        '',
        '{"type":"url","value":"https://example.com/","named_orgs":"org_1;org_2","marking":"red","idempotency_key":"k-1"}',
      ].join('\n'),
      'jsonl',
      'p',
    );
    expect(got.map((i) => i.line)).toEqual([1, 3]);
    expect(got[0]?.request).toMatchObject({ clientItemId: '1', idempotencyKey: 'p:1', contribution: { categories: ['model.2c'], confidence: 75, marking: TlpMarking.TLP_MARKING_GREEN } });
    expect(got[1]?.request).toMatchObject({ idempotencyKey: 'k-1', contribution: { namedOrgIds: ['org_1', 'org_2'], marking: TlpMarking.TLP_MARKING_RED } });
  });
});

describe(jsonItem.name, () => {
  it.each([
    ['{"type":"url",', 'JSON_INVALID', ''],
    ['["url"]', 'JSON_INVALID', ''],
    ['{"type":"url","validUntil":"2027-01-01"}', 'UNKNOWN_FIELD', 'validUntil'],
    ['{"type":"url","value":42}', 'FIELD_TYPE_INVALID', 'contribution.signal.value'],
    ['{"type":"url","categories":[1]}', 'FIELD_TYPE_INVALID', 'contribution.categories'],
  ])('refuses %s with %s', (text, code, field) => {
    expect(jsonItem(text, 7, 100)).toEqual({ line: 7, end: 100, error: { code, message: expect.any(String), field } });
  });
});

describe(csvColumns.name, () => {
  it('reports a malformed header record', () => {
    expect(() => csvColumns({ line: 1, end: 5, error: 'a quote inside unquoted field 1' })).toThrow(/header \(line 1\)/);
  });
});

describe(formatOf.name, () => {
  it('takes --format, else the extension', () => {
    expect([formatOf('a.CSV', undefined), formatOf('a.jsonl', undefined), formatOf('a.ndjson', undefined), formatOf('a.txt', 'csv')]).toEqual(['csv', 'jsonl', 'jsonl', 'csv']);
    expect(() => formatOf('a.txt', undefined)).toThrow(expect.objectContaining({ code: 'FILE_FORMAT_UNKNOWN' }));
  });
});
