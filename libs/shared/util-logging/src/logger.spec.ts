import { Writable } from 'node:stream';

import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

import { createLogger, redactDeep,REDACTED_PATHS } from './logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, destination };
}

describe(createLogger.name, () => {
  beforeAll(() => context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
  afterAll(() => context.disable());

  it('writes one JSON object per line with service, level and message', () => {
    const { lines, destination } = capture();
    createLogger({ service: 'ingest', destination }).info({ signalId: 'sig_1' }, 'accepted');
    expect(lines).toEqual([expect.objectContaining({ service: 'ingest', level: 'info', msg: 'accepted', signalId: 'sig_1' })]);
    expect(typeof lines[0]?.['time']).toBe('string');
  });

  it('carries the active trace and span ids', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'dedup', destination });
    const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
    context.with(trace.setSpanContext(context.active(), spanContext), () => logger.info('merged'));
    expect(lines[0]).toMatchObject({ trace_id: spanContext.traceId, span_id: spanContext.spanId });
  });

  it('never prints API keys or evidence notes', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'ingest', destination });
    logger.info({ apiKey: 'smk_live_secret', request: { evidenceNote: 'private analyst note', apiKey: 'smk_2' } }, 'submit');
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/smk_live_secret|smk_2|private analyst note/);
    expect(text).toContain('[redacted]');
  });

  it('redacts every sensitive field at any depth, in arrays, headers, child bindings and any spelling', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'feed', destination }).child({ component: 'grpc', metadata: { 'x-api-key': 'smk_binding' } });
    const deep = { a: { b: { c: { d: { e: { f: { apiKey: 'smk_depth6', evidence_note: 'note at depth 6' } } } } } } };
    const shared = { secret: 'shared-secret' };
    logger.warn(
      {
        headers: { authorization: 'Bearer smk_bearer', 'x-api-key': 'smk_header', Authorization: 'Basic c21r' },
        items: [{ evidenceNote: 'note in an array' }, { nested: [{ API_KEY: 'smk_upper' }] }],
        deep,
        one: shared,
        two: shared,
        password: 'hunter2',
      },
      'request',
    );
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/smk_|note at depth|note in an array|shared-secret|hunter2|c21r/);
    expect(lines[0]).toMatchObject({ msg: 'request', headers: { authorization: '[redacted]', 'x-api-key': '[redacted]' } });
    // The caller's objects are left alone.
    expect(deep.a.b.c.d.e.f.apiKey).toBe('smk_depth6');
    expect(shared.secret).toBe('shared-secret');
  });

  it('keeps lines without sensitive fields as they are, and survives cycles', () => {
    const { lines, destination } = capture();
    const cyclic: Record<string, unknown> = { signalId: 'sig_1' };
    cyclic['self'] = cyclic;
    const plain = { signalId: 'sig_2', orgIds: ['org_a'] };
    expect(redactDeep(plain)).toBe(plain);
    expect(() => createLogger({ service: 'dedup', destination }).info({ cyclic, plain }, 'merged')).not.toThrow();
    expect(lines[0]).toMatchObject({ plain: { signalId: 'sig_2', orgIds: ['org_a'] } });
    expect(REDACTED_PATHS).toEqual(expect.arrayContaining(['apiKey', '*.*.*.*.evidenceNote', '*["x-api-key"]']));
  });
});
