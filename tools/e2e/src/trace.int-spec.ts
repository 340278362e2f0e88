import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { ApiKeyScope, type FeedEvent, FeedServiceClient, IngestServiceClient, SignalType, SubmitRequest, type SubmitResponse, SubscribeRequest, TlpMarking, Topics, UrlMatchScope } from '@signal-mesh/contracts';
import { eventually, integrationEnv, type ServiceProcess, startServiceProcess, startTrustFixture, testLogger, type TestOrg, type TrustFixture, uniqueName } from '@signal-mesh/testing';
import { grpcCredentials, GrpcStatus as status, Metadata, type ServiceError } from '@signal-mesh/transport-grpc';
import { createKafka, ensureTopics } from '@signal-mesh/transport-kafka';

// ---------------------------------------------------------------------------------------------------------------------
// An OTLP/HTTP receiver in the test process. The services' exporter (@opentelemetry/exporter-trace-otlp-http) sends
// JSON by default; protobuf (exporter-trace-otlp-proto) and gzip are decoded too, so the test holds whichever the
// shared telemetry setup chooses.
// ---------------------------------------------------------------------------------------------------------------------

type AttrValue = string | number | boolean | null | AttrValue[];

interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, AttrValue>;
  readonly events: { name: string; attributes: Record<string, AttrValue> }[];
  readonly links: { traceId: string; spanId: string }[];
}

interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: JsonAnyValue[] };
  kvlistValue?: { values?: JsonKeyValue[] };
}
interface JsonKeyValue {
  key: string;
  value?: JsonAnyValue;
}
interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: JsonKeyValue[];
  events?: { name: string; attributes?: JsonKeyValue[] }[];
  links?: { traceId: string; spanId: string }[];
}
interface JsonRequest {
  resourceSpans?: { resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: { spans?: JsonSpan[] }[] }[];
}

function jsonValue(v: JsonAnyValue | undefined): AttrValue {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(jsonValue);
  if (v.kvlistValue) return (v.kvlistValue.values ?? []).map((kv) => [kv.key, jsonValue(kv.value)]);
  return null;
}
const jsonAttributes = (kvs: JsonKeyValue[] = []) => Object.fromEntries(kvs.map((kv) => [kv.key, jsonValue(kv.value)]));
// JSON OTLP from opentelemetry-js carries ids as hex; the OTLP spec's JSON mapping says hex too (not base64).
const hexId = (id: string | undefined) => (id && /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : id ? Buffer.from(id, 'base64').toString('hex') : undefined);

function spansFromJson(request: JsonRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const service = String(jsonAttributes(rs.resource?.attributes)['service.name'] ?? '');
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        service,
        traceId: hexId(s.traceId) ?? '',
        spanId: hexId(s.spanId) ?? '',
        parentSpanId: hexId(s.parentSpanId) || undefined,
        name: s.name,
        kind: s.kind ?? 0,
        attributes: jsonAttributes(s.attributes),
        events: (s.events ?? []).map((e) => ({ name: e.name, attributes: jsonAttributes(e.attributes) })),
        links: (s.links ?? []).map((l) => ({ traceId: hexId(l.traceId) ?? '', spanId: hexId(l.spanId) ?? '' })),
      })),
    );
  });
}

// opentelemetry/proto/collector/trace/v1 ExportTraceServiceRequest, only the fields the assertions read.
const utf8 = new TextDecoder();
function fields(bytes: Uint8Array, onField: (field: number, wire: WireType, reader: BinaryReader) => boolean): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wire] = reader.tag();
    if (!onField(field, wire, reader)) reader.skip(wire);
  }
}
function protoValue(bytes: Uint8Array): AttrValue {
  let out: AttrValue = null;
  const values: AttrValue[] = [];
  fields(bytes, (field, _wire, r) => {
    if (field === 1) out = utf8.decode(r.bytes());
    else if (field === 2) out = r.bool();
    else if (field === 3) out = Number(r.int64());
    else if (field === 4) out = r.double();
    else if (field === 5) {
      fields(r.bytes(), (f, _w, rr) => (f === 1 ? (values.push(protoValue(rr.bytes())), true) : false));
      out = values;
    } else if (field === 7) out = Buffer.from(r.bytes()).toString('base64');
    else return false;
    return true;
  });
  return out;
}
function protoAttribute(bytes: Uint8Array): [string, AttrValue] {
  let key = '';
  let value: AttrValue = null;
  fields(bytes, (field, _wire, r) => {
    if (field === 1) key = utf8.decode(r.bytes());
    else if (field === 2) value = protoValue(r.bytes());
    else return false;
    return true;
  });
  return [key, value];
}
function spansFromProtobuf(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  fields(body, (field, _wire, r) => {
    if (field !== 1) return false;
    let service = '';
    const raw: Uint8Array[] = [];
    fields(r.bytes(), (f, _w, rr) => {
      if (f === 1) fields(rr.bytes(), (ff, _ww, res) => (ff === 1 ? (([k, v]) => (k === 'service.name' && (service = String(v)), true))(protoAttribute(res.bytes())) : false));
      else if (f === 2) fields(rr.bytes(), (ff, _ww, ss) => (ff === 2 ? (raw.push(ss.bytes()), true) : false));
      else return false;
      return true;
    });
    for (const bytes of raw) {
      const span = { service, traceId: '', spanId: '', parentSpanId: undefined as string | undefined, name: '', kind: 0, attributes: {} as Record<string, AttrValue>, events: [] as ReceivedSpan['events'], links: [] as ReceivedSpan['links'] };
      fields(bytes, (f, _w, s) => {
        if (f === 1) span.traceId = hex(s.bytes());
        else if (f === 2) span.spanId = hex(s.bytes());
        else if (f === 4) span.parentSpanId = hex(s.bytes()) || undefined;
        else if (f === 5) span.name = utf8.decode(s.bytes());
        else if (f === 6) span.kind = s.int32();
        else if (f === 9) {
          const [k, v] = protoAttribute(s.bytes());
          span.attributes[k] = v;
        } else if (f === 11) {
          const event = { name: '', attributes: {} as Record<string, AttrValue> };
          fields(s.bytes(), (ef, _ew, e) => {
            if (ef === 2) event.name = utf8.decode(e.bytes());
            else if (ef === 3) {
              const [k, v] = protoAttribute(e.bytes());
              event.attributes[k] = v;
            } else return false;
            return true;
          });
          span.events.push(event);
        } else if (f === 13) {
          const link = { traceId: '', spanId: '' };
          fields(s.bytes(), (lf, _lw, l) => {
            if (lf === 1) link.traceId = hex(l.bytes());
            else if (lf === 2) link.spanId = hex(l.bytes());
            else return false;
            return true;
          });
          span.links.push(link);
        } else return false;
        return true;
      });
      spans.push(span);
    }
    return true;
  });
  return spans;
}

interface OtlpReceiver {
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  /** Every request body received (traces and metrics), decompressed, for the confidentiality check. */
  readonly bodies: Buffer[];
  close(): Promise<void>;
}

async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const bodies: Buffer[] = [];
  const read = async (req: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    return req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
  };
  const server: Server = createServer((req, res) => {
    void read(req).then(
      (body) => {
        bodies.push(body);
        const json = String(req.headers['content-type'] ?? '').includes('json');
        if (req.method === 'POST' && req.url === '/v1/traces') spans.push(...(json ? spansFromJson(JSON.parse(body.toString('utf8')) as JsonRequest) : spansFromProtobuf(body)));
        // An empty ExportServiceResponse in the request's own encoding: full success.
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
        res.end(json ? '{}' : undefined);
      },
      (err: unknown) => {
        res.writeHead(400);
        res.end(String(err));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------------------------------

const metadataFor = (apiKey: string): Metadata => {
  const metadata = new Metadata();
  metadata.set('x-api-key', apiKey);
  return metadata;
};

describe('one submission is one trace: ingest → dedup → fan-out → feed, with no secret in any span, metric or log', () => {
  const stack = integrationEnv();
  const logger = testLogger('e2e-trace');
  const suite = uniqueName('e2e-trace');
  const database = suite.replace(/-/g, '_');
  const topic = (spec: { name: string }) => `test.${suite}.${spec.name}`;
  const topics = { submissions: topic(Topics.submissions), state: topic(Topics.signalState), trust: topic(Topics.trustChanges), feed: topic(Topics.feeds) };
  const kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: suite, logger });
  // Unique, so a hit can only come from this test's submission.
  const marker = `evidence-marker-${randomBytes(8).toString('hex')}`;
  const host = `trace-${randomBytes(4).toString('hex')}.nudify.example.test`;
  let receiver: OtlpReceiver;
  let trust: TrustFixture;
  const services: Record<'dedup' | 'fanout' | 'feed' | 'ingest', ServiceProcess | undefined> = { dedup: undefined, fanout: undefined, feed: undefined, ingest: undefined };
  let ingest: IngestServiceClient | undefined;
  let feed: FeedServiceClient | undefined;
  let contributor: TestOrg;
  let subscriber: TestOrg;
  let stream: { cancel(): void } | undefined;

  const all = () => Object.values(services).filter((s): s is ServiceProcess => s !== undefined);
  const stopAll = () => Promise.all([...all().map((s) => s.stop()), trust?.close()]);

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    await ensureTopics(kafka, [
      { ...Topics.submissions, name: topics.submissions },
      { ...Topics.signalState, name: topics.state },
      { ...Topics.trustChanges, name: topics.trust },
      { ...Topics.feeds, name: topics.feed },
      ...[topics.submissions, topics.state, topics.trust].map((name) => ({ name: `${name}.dlq`, partitions: 1, cleanupPolicy: 'delete' as const, key: 'original key', payload: 'signalmesh.v1.DeadLetter' })),
    ]);
    // Short export delays so the test does not wait on the defaults; stop() flushes what is left in any case.
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '500' };
    const shared = { ...otel, KAFKA_BROKERS: stack.kafkaBrokers.join(','), MONGODB_URI: stack.mongoUri, MONGODB_DATABASE: database };
    trust = await startTrustFixture(stack, { ...otel, TRUST_CHANGES_TOPIC: topics.trust });
    contributor = await trust.createOrg({ tier: 4 });
    subscriber = await trust.createOrg({ tier: 3, scopes: [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE] });
    const [dedup, fanout, feedService, ingestService] = await Promise.all([
      startServiceProcess('dedup', { ...shared, DEDUP_GROUP_ID: `${suite}-dedup`, DEDUP_SUBMISSIONS_TOPIC: topics.submissions, DEDUP_STATE_TOPIC: topics.state, DEDUP_PARTITIONS_CONCURRENTLY: '1' }),
      startServiceProcess('fanout', { ...shared, FANOUT_GROUP_ID: `${suite}-fanout`, FANOUT_STATE_TOPIC: topics.state, FANOUT_TRUST_TOPIC: topics.trust, FANOUT_FEED_TOPIC: topics.feed }),
      startServiceProcess('feed', { ...shared, FEED_TRUST_ADDRESS: trust.address, FEED_TOPIC: topics.feed, FEED_TRUST_TOPIC: topics.trust }),
      startServiceProcess('ingest', { ...shared, INGEST_TRUST_ADDRESS: trust.address, INGEST_TRUST_SERVICE_KEY: trust.operatorKey, INGEST_SUBMISSIONS_TOPIC: topics.submissions }),
    ]);
    Object.assign(services, { dedup, fanout, feed: feedService, ingest: ingestService });
    ingest = new IngestServiceClient(ingestService.grpcAddress, grpcCredentials.createInsecure());
    feed = new FeedServiceClient(feedService.grpcAddress, grpcCredentials.createInsecure());
  }, 240_000);

  afterAll(async () => {
    stream?.cancel();
    ingest?.close();
    feed?.close();
    await stopAll();
    await receiver?.close();
  });

  it('connects ingest’s submit, dedup’s merge, the fan-out’s evaluation and the feed’s delivery in one trace', async () => {
    const { ingest: ingestClient, feed: feedClient } = { ingest, feed };
    if (!ingestClient || !feedClient) throw new Error('clients not started');
    const events: FeedEvent[] = [];
    let streamError: ServiceError | undefined;
    const call = feedClient.subscribe(SubscribeRequest.fromPartial({ cursor: '' }), metadataFor(subscriber.key));
    stream = call;
    call.on('data', (res: { event?: FeedEvent }) => res.event && events.push(res.event));
    call.on('error', (err: ServiceError) => {
      if (err.code !== status.CANCELLED) streamError = err;
    });
    // Subscriptions start at the live tail: give the stream a moment to be established before anything is produced.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const request = SubmitRequest.fromPartial({
      contribution: { signal: { type: SignalType.SIGNAL_TYPE_URL, value: `https://${host}/`, urlMatchScope: UrlMatchScope.URL_MATCH_SCOPE_HOST }, categories: ['service.nudify'], marking: TlpMarking.TLP_MARKING_GREEN, confidence: 80, evidenceNote: `see ${marker}` },
    });
    const submitted = await new Promise<SubmitResponse>((resolve, reject) => ingestClient.submit(request, metadataFor(contributor.key), (err, res) => (err ? reject(err) : resolve(res))));
    const signalId = submitted.result?.signalId ?? '';
    expect(signalId).not.toBe('');
    await eventually(async () => events.find((e) => e.signalId === signalId), { what: 'the subscriber’s UPSERT', timeoutMs: 60_000 });
    expect(streamError).toBeUndefined();

    const spansOf = (service: string) => receiver.spans.filter((s) => s.service === service);
    const byId = (spanId: string | undefined) => receiver.spans.find((s) => s.spanId === spanId);
    const linksTo = (s: { links: ReceivedSpan['links'] }, target: ReceivedSpan | undefined) => target !== undefined && s.links.some((l) => l.spanId === target.spanId && l.traceId === target.traceId);
    const about = (service: string, name: string) => spansOf(service).find((s) => s.name === name && s.attributes['signal_mesh.signal_id'] === signalId);
    // Batch processors export on an interval: poll until every service's span about the signal arrived.
    await eventually(async () => (['ingest:ingest submit', 'dedup:dedup merge', 'fanout:fanout evaluate', 'feed:feed deliver'] as const).every((key) => about(...(key.split(':') as [string, string]))) || undefined, {
      what: 'spans about the signal from every service',
      timeoutMs: 60_000,
    }).catch((err: Error) => {
      throw new Error(`${err.message}; received: ${[...new Set(receiver.spans.map((s) => `${s.service}:${s.name}`))].join(', ')}`);
    });
    const deliver = about('feed', 'feed deliver') as ReceivedSpan;

    // ingest: the submit span names the organisation and the signal; the produce span is its child.
    const submit = about('ingest', 'ingest submit');
    expect(submit?.attributes['signal_mesh.org_id']).toBe(contributor.orgId);
    const publish = spansOf('ingest').find((s) => s.name === `${topics.submissions} publish` && s.parentSpanId === submit?.spanId);
    expect(publish).toBeDefined();
    const trace = publish?.traceId;

    // dedup: the chunk span links the produce span; the merge span continues the submission's trace under it.
    const dedupChunk = spansOf('dedup').find((s) => s.name === `${topics.submissions} process` && linksTo(s, publish));
    expect(dedupChunk?.attributes['signal_mesh.signal_ids']).toContain(signalId);
    const merge = spansOf('dedup').find((s) => s.name === 'dedup merge' && s.attributes['signal_mesh.signal_id'] === signalId);
    expect(merge).toMatchObject({ traceId: trace, parentSpanId: publish?.spanId });
    expect(merge && linksTo(merge, dedupChunk)).toBe(true);
    expect(spansOf('dedup').some((s) => s.name === `${topics.state} publish` && s.parentSpanId === dedupChunk?.spanId)).toBe(true);

    // fan-out: its chunk span links the state record's context (the merge span); the evaluation is the merge's child.
    const fanoutChunk = spansOf('fanout').find((s) => s.name === `${topics.state} process` && linksTo(s, merge));
    expect(fanoutChunk?.attributes['signal_mesh.signal_ids']).toContain(signalId);
    const evaluate = spansOf('fanout').find((s) => s.name === 'fanout evaluate' && s.attributes['signal_mesh.signal_id'] === signalId);
    expect(evaluate).toMatchObject({ traceId: trace, parentSpanId: merge?.spanId });
    expect(evaluate && linksTo(evaluate, fanoutChunk)).toBe(true);
    expect(spansOf('fanout').some((s) => s.name === `${topics.feed} publish` && s.parentSpanId === fanoutChunk?.spanId)).toBe(true);

    // feed: the delivery is the evaluation's child, for the subscriber's organisation, with the record's position.
    expect(deliver).toMatchObject({ traceId: trace, parentSpanId: evaluate?.spanId, kind: 5 /* CONSUMER */ });
    expect(deliver.attributes).toMatchObject({ 'signal_mesh.org_id': subscriber.orgId, 'messaging.destination.name': topics.feed });
    expect(typeof deliver.attributes['messaging.kafka.destination.partition']).toBe('number');
    expect(deliver.attributes['messaging.kafka.message.offset']).toMatch(/^\d+$/);

    // So the delivery's ancestors run back through every service to the submission: one trace.
    const ancestry: string[] = [];
    for (let s: ReceivedSpan | undefined = deliver; s; s = byId(s.parentSpanId)) ancestry.push(`${s.service}:${s.name}`);
    expect(ancestry.slice(0, 5)).toEqual(['feed:feed deliver', 'fanout:fanout evaluate', 'dedup:dedup merge', `ingest:${topics.submissions} publish`, 'ingest:ingest submit']);

    // The agreed metrics, as each service's /metrics serves them.
    const scrape = async (s: ServiceProcess | undefined) => (s ? (await fetch(`${s.httpUrl}/metrics`)).text() : '');
    const sample = (text: string, name: string, labels: Record<string, string>) =>
      text.split('\n').some((line) => line.startsWith(`${name}`) && Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)) && Number(line.split(' ').at(-1)) >= 1);
    expect(sample(await scrape(services.ingest), 'signal_mesh_ingest_contributions', { outcome: 'accepted', code: 'OK' })).toBe(true);
    expect(sample(await scrape(services.dedup), 'signal_mesh_dedup_merges', { result: 'created' })).toBe(true);
    expect(sample(await scrape(services.fanout), 'signal_mesh_fanout_events', { kind: 'UPSERT', reason: 'none' })).toBe(true);
    const feedMetrics = await scrape(services.feed);
    expect(sample(feedMetrics, 'signal_mesh_feed_events_delivered', { kind: 'UPSERT' })).toBe(true);
    expect(sample(feedMetrics, 'signal_mesh_feed_subscribers', {})).toBe(true);
    expect(sample(feedMetrics, 'signal_mesh_feed_delivery_latency_count', {})).toBe(true);

    // Graceful stops flush every batch still pending; then nothing anywhere may hold a key or the evidence note.
    call.cancel();
    const codes = await stopAll();
    expect(codes.slice(0, 4)).toEqual([0, 0, 0, 0]);
    const secrets = [contributor.key, subscriber.key, trust.operatorKey, marker];
    for (const span of receiver.spans) {
      const text = JSON.stringify([span.name, span.attributes, span.events]);
      for (const secret of secrets) expect(text.includes(secret) ? `${span.service}:${span.name}` : undefined).toBeUndefined();
    }
    // Positive control: the raw bodies are searchable text (JSON or protobuf strings), the signal id is in them.
    expect(receiver.bodies.some((body) => body.includes(signalId))).toBe(true);
    for (const body of receiver.bodies) for (const secret of secrets) expect(body.includes(secret)).toBe(false);
    for (const service of [...all(), trust.service]) {
      expect(service.logs.length).toBeGreaterThan(0);
      for (const secret of secrets) expect(service.logs.find((line) => line.includes(secret))).toBeUndefined();
    }
    // The check above is only worth something if the services exported at all: every one of them did.
    expect(new Set(receiver.spans.map((s) => s.service))).toEqual(new Set(['trust', 'ingest', 'dedup', 'fanout', 'feed']));
  }, 180_000);
});
