import { captureSpans, testMeter } from '@signal-mesh/testing';

import { callerOf, newTestApi, ORG, urlDraft } from './fakes.fixtures';
import { createIngestMetrics } from './metrics';

describe('ingest metrics and spans', () => {
  const { finishedSpans } = captureSpans('ingest-spec');

  it('counts every item of a batch once, by outcome and code, rate-limited ones included', async () => {
    const m = testMeter();
    const { api } = newTestApi({ rateBurst: 3, rateItemsPerSecond: 0.5 }, createIngestMetrics(m.meter));
    await api.submit.execute(callerOf(), [{ draft: urlDraft() }, { draft: urlDraft({ confidence: 101 }) }, { draft: urlDraft({ signal: { type: 'url', value: 'https://b.example.com/' } }) }, { draft: urlDraft() }, { draft: urlDraft() }]);
    expect(await m.total('signal_mesh.ingest.contributions', { outcome: 'accepted', code: 'OK' })).toBe(2);
    expect(await m.total('signal_mesh.ingest.contributions', { outcome: 'rejected', code: 'CONFIDENCE_OUT_OF_RANGE' })).toBe(1);
    expect(await m.total('signal_mesh.ingest.contributions', { outcome: 'rejected', code: 'RATE_LIMITED' })).toBe(2);
    expect(await m.total('signal_mesh.ingest.contributions')).toBe(5);
  });

  it('names the organisation and the signal on the submit span, never the key or the evidence note', async () => {
    const { api, publisher } = newTestApi({}, createIngestMetrics(testMeter().meter));
    const note = 'evidence-note-marker-7f3a';
    const [outcome] = await api.submit.execute(callerOf(), [{ draft: urlDraft({ evidenceNote: note }) }]);
    expect(publisher.published).toHaveLength(1);
    const span = (await finishedSpans()).find((s) => s.name === 'ingest submit');
    expect(span?.attributes).toMatchObject({ 'signal_mesh.org_id': ORG, 'signal_mesh.signal_id': outcome.accepted?.signalId, 'signal_mesh.signal_count': 1, 'signal_mesh.rejected_count': 0 });
    const dump = JSON.stringify((await finishedSpans()).map((s) => [s.attributes, s.events]));
    expect(dump).not.toContain(callerOf().apiKey);
    expect(dump).not.toContain(note);
  });

  it('bounds the signal ids of a large chunk', async () => {
    const { api } = newTestApi({}, createIngestMetrics(testMeter().meter));
    await api.submit.execute(callerOf(), Array.from({ length: 50 }, (_, i) => ({ draft: urlDraft({ signal: { type: 'url', value: `https://s${i}.example.com/` } }) })));
    const span = (await finishedSpans()).find((s) => s.name === 'ingest submit');
    expect(span?.attributes['signal_mesh.signal_count']).toBe(50);
    expect(span?.attributes['signal_mesh.signal_ids']).toHaveLength(20);
    expect(span?.attributes['signal_mesh.signal_id']).toBeUndefined();
  });
});
