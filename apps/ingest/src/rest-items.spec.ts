import { thrownCode } from '@signal-mesh/testing';

import { draftFromFlat, flatItemFromJson, itemsFromCsv, itemsFromJson, restField } from './rest-items';

const codeOf = (err: unknown) => (err as { code?: string } | undefined)?.code;

describe('REST items', () => {
  describe(flatItemFromJson.name, () => {
    it('reads every field with its JSON type', () => {
      const item = flatItemFromJson({
        type: 'url',
        value: 'https://nudify.example.com/',
        scope: 'domain',
        categories: ['service.nudify'],
        marking: 'TLP:AMBER+STRICT',
        namedOrgIds: ['org_1'],
        confidence: 90,
        validUntil: '2031-01-01T00:00:00Z',
        externalRefs: [{ system: 'hotline-case', id: '123', url: 'https://example.com/cases/123' }],
        idempotencyKey: 'k1',
        clientItemId: 'row-1',
      });
      expect(item).toMatchObject({ type: 'url', confidence: 90, validUntil: new Date('2031-01-01T00:00:00Z'), namedOrgIds: ['org_1'] });
      expect(draftFromFlat(item)).toEqual({
        signal: { type: 'url', value: 'https://nudify.example.com/', scope: 'domain', kind: undefined, algorithm: undefined },
        categories: ['service.nudify'],
        marking: 'TLP:AMBER+STRICT',
        sharingGroupIds: [],
        namedOrgIds: ['org_1'],
        confidence: 90,
        validUntil: new Date('2031-01-01T00:00:00Z'),
        externalRefs: [{ system: 'hotline-case', id: '123', url: 'https://example.com/cases/123' }],
      });
    });

    it('refuses unknown fields, wrong JSON types and bad times with the field name', () => {
      expect(thrownCode(() => flatItemFromJson({ type: 'url', catgories: [] }))).toBe('UNKNOWN_FIELD');
      expect(thrownCode(() => flatItemFromJson({ confidence: '90' }))).toBe('INVALID_FIELD');
      expect(thrownCode(() => flatItemFromJson({ categories: 'service.nudify' }))).toBe('INVALID_FIELD');
      expect(thrownCode(() => flatItemFromJson({ validUntil: '2031-01-01' }))).toBe('INVALID_FIELD');
      expect(thrownCode(() => flatItemFromJson({ externalRefs: [{ system: 'x', id: 1 }] }))).toBe('INVALID_FIELD');
      expect(thrownCode(() => flatItemFromJson('url'))).toBe('INVALID_REQUEST');
      expect(thrownCode(() => draftFromFlat({ type: 'url', value: 'https://example.com/' }))).toBe('INVALID_FIELD');
    });
  });

  describe(itemsFromJson.name, () => {
    it('keeps unreadable items as per-item errors and derives <key>:<index> for keyless items', () => {
      const items = itemsFromJson([{ type: 'url', value: 'https://example.com/', confidence: 1 }, 7, { type: 'url', confidence: 1, idempotencyKey: 'own' }], 'batch-1');
      expect(items.map((i) => i.idempotencyKey)).toEqual(['batch-1:0', undefined, 'own']);
      expect(codeOf(items[1].error)).toBe('INVALID_REQUEST');
      expect(thrownCode(() => itemsFromJson({ items: [] }))).toBe('INVALID_REQUEST');
    });
  });

  describe(itemsFromCsv.name, () => {
    const header = 'type,value,scope,kind,categories,marking,sharing_groups,named_orgs,confidence,opinion,valid_until,evidence_note,idempotency_key';

    it('reads rows by header name, splits lists on semicolons and numbers rows by line', () => {
      const csv = [
        header,
        'url,https://nudify.example.com/a,domain,,service.nudify;service.nudify.tutorial,GREEN,,,90,,2031-01-01T00:00:00Z,"seen in ""case"" 12",k-1',
        'prompt-pattern,"placeholder phrase, with comma",,keyword,prompt.aig-csam,AMBER,grp_1; grp_2,,60,POSITIVE,,,',
        '',
      ].join('\r\n');
      const items = itemsFromCsv(csv);
      expect(items.map((i) => i.clientItemId)).toEqual(['2', '3']);
      expect(items[0]).toMatchObject({
        idempotencyKey: 'k-1',
        draft: { signal: { type: 'url', value: 'https://nudify.example.com/a', scope: 'domain' }, categories: ['service.nudify', 'service.nudify.tutorial'], evidenceNote: 'seen in "case" 12', validUntil: new Date('2031-01-01T00:00:00Z') },
      });
      expect(items[1].draft).toMatchObject({ signal: { value: 'placeholder phrase, with comma', kind: 'keyword' }, sharingGroupIds: ['grp_1', 'grp_2'], confidence: 60, opinion: 'POSITIVE' });
    });

    it('reports a bad row on that row only, and derives keys from the batch key', () => {
      const items = itemsFromCsv('TYPE,Value,confidence\r\nurl,https://example.com/,80\r\nurl,https://example.com/b\r\nurl,x"y,80\r\nurl,https://example.com/c,eighty\r\n', 'up-9');
      expect(items.map((i) => codeOf(i.error) ?? 'OK')).toEqual(['OK', 'MALFORMED_ROW', 'MALFORMED_ROW', 'INVALID_FIELD']);
      expect(items[0].idempotencyKey).toBe('up-9:0');
      expect(items.map((i) => i.clientItemId)).toEqual(['2', '3', '4', '5']);
    });

    it('refuses the whole file for an unknown, repeated or missing column and for broken quoting', () => {
      expect(thrownCode(() => itemsFromCsv('type,value,colour\r\n'))).toBe('MALFORMED_CSV');
      expect(thrownCode(() => itemsFromCsv('type,value,type\r\n'))).toBe('MALFORMED_CSV');
      expect(thrownCode(() => itemsFromCsv('type,confidence\r\n'))).toBe('MALFORMED_CSV');
      expect(thrownCode(() => itemsFromCsv(''))).toBe('MALFORMED_CSV');
      expect(thrownCode(() => itemsFromCsv('type,value\r\nurl,"https://example.com/\r\n'))).toBe('MALFORMED_CSV');
    });
  });

  it('names domain fields as the flat REST item does', () => {
    expect(restField('signal.value')).toBe('value');
    expect(restField('signal.scope')).toBe('scope');
    expect(restField('categories[1]')).toBe('categories[1]');
    expect(restField('disputeReason')).toBe('reason');
    expect(restField(undefined)).toBeUndefined();
  });
});
