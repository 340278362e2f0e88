import { Writable } from 'node:stream';

import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

import { createLogger } from './logger';

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
});
