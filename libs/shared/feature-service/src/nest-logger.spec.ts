import { Writable } from 'node:stream';

import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger } from '@signal-mesh/util-logging';

import { NestPinoLogger } from './nest-logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, sut: new NestPinoLogger(createLogger({ service: 'svc', level: 'trace', destination })) };
}

describe(NestPinoLogger.name, () => {
  it('writes Nest messages as JSON lines with the context as component', () => {
    const { lines, sut } = capture();
    sut.log('Mapped {/readyz, GET} route', 'RouterExplorer');
    sut.verbose('detail');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', service: 'svc', component: 'RouterExplorer', msg: 'Mapped {/readyz, GET} route' }),
      expect.objectContaining({ level: 'trace', component: 'nest', msg: 'detail' }),
    ]);
  });

  it('keeps the stack of an error and the fields of an object message', () => {
    const { lines, sut } = capture();
    sut.error('boom', 'Error: boom\n    at x', 'ExceptionHandler');
    sut.warn({ port: 1 }, 'Bootstrap');
    sut.error(new Error('bad'));
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'boom', stack: 'Error: boom\n    at x', component: 'ExceptionHandler' });
    expect(lines[1]).toMatchObject({ level: 'warn', port: 1, component: 'Bootstrap' });
    expect(lines[2]).toMatchObject({ level: 'error', msg: 'bad', err: expect.objectContaining({ message: 'bad' }) });
  });

  it("carries the active trace and span ids on Nest's lines too, and redacts what Nest passes in objects", () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    try {
      const { lines, sut } = capture();
      const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
      context.with(trace.setSpanContext(context.active(), spanContext), () => {
        sut.log('handled', 'RoutesResolver');
        sut.warn({ headers: { 'x-api-key': 'smk_live_1' } }, 'ExceptionsHandler');
      });
      expect(lines).toEqual([
        expect.objectContaining({ trace_id: spanContext.traceId, span_id: spanContext.spanId, component: 'RoutesResolver' }),
        expect.objectContaining({ trace_id: spanContext.traceId, headers: { 'x-api-key': '[redacted]' } }),
      ]);
    } finally {
      context.disable();
    }
  });
});
