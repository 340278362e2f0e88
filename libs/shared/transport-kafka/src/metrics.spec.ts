import { testLogger } from '@signal-mesh/testing';
import { startTelemetry, type Telemetry } from '@signal-mesh/util-otel';
import type { Kafka } from 'kafkajs';

import { ConsumerLagGauge, kafkaInstruments, KafkaMetricNames } from './metrics';
import { KafkaProducer } from './producer';

/** A broker as the admin client sees it: committed offsets of one group, high/low watermarks per partition. */
class FakeBroker {
  committed = new Map<number, string>([[0, '-1'], [1, '5']]);
  high = new Map<number, string>([[0, '0'], [1, '5']]);
  reads = 0;
  down = false;
  admins = 0;
  readonly kafka = {
    admin: () => {
      this.admins++;
      return {
        connect: async () => undefined,
        disconnect: async () => undefined,
        fetchOffsets: async ({ topics }: { topics: string[] }) => {
          this.reads++;
          if (this.down) throw new Error('broker unreachable');
          return topics.map((topic) => ({ topic, partitions: [...this.committed].map(([partition, offset]) => ({ partition, offset })) }));
        },
        fetchTopicOffsets: async () => [...this.high].map(([partition, high]) => ({ partition, high, low: '0', offset: high })),
      };
    },
    producer: () => ({ connect: async () => undefined, disconnect: async () => undefined, send: async () => [{ topicName: 't', partition: 2, errorCode: 0, baseOffset: '41' }] }),
  } as unknown as Kafka;
}

describe(ConsumerLagGauge.name, () => {
  let telemetry: Telemetry;
  beforeAll(() => {
    telemetry = startTelemetry({ serviceName: 'lag-spec', instrumentations: false });
  });
  afterAll(() => telemetry.shutdown());

  const lagLines = async (group: string) => (await telemetry.renderMetrics()).split('\n').filter((l) => l.startsWith('signal_mesh_kafka_consumer_lag{') && l.includes(`group="${group}"`));

  it('reports committed-vs-end lag per group, topic and partition from the broker, asking it at most every refreshMs', async () => {
    const broker = new FakeBroker();
    const sut = new ConsumerLagGauge({ kafka: broker.kafka, groupId: 'grp-a', topics: ['subs'], gauge: kafkaInstruments().consumerLag, logger: testLogger(), refreshMs: 60_000 });
    sut.start();
    expect(await lagLines('grp-a')).toEqual([expect.stringMatching(/topic="subs",partition="0".* 0$/), expect.stringMatching(/topic="subs",partition="1".* 0$/)]);

    // Records produced while nothing commits (a paused consumer): the broker's end moves, the commit does not.
    broker.high.set(0, '3').set(1, '9');
    expect((await lagLines('grp-a')).map((l) => l.split(' ').at(-1))).toEqual(['0', '0']);
    expect(broker.reads).toBe(1);
    await sut.stop();
    // Stopped: no more broker round trips (the SDK keeps showing the last observed values).
    await lagLines('grp-a');
    expect(broker.reads).toBe(1);

    const fresh = new ConsumerLagGauge({ kafka: broker.kafka, groupId: 'grp-a', topics: ['subs'], gauge: kafkaInstruments().consumerLag, logger: testLogger(), refreshMs: 0 });
    fresh.start();
    expect((await lagLines('grp-a')).map((l) => l.split(' ').at(-1))).toEqual(['3', '4']);
    await fresh.stop();
  });

  it('keeps reporting the last known lag while the broker does not answer, and serves several groups side by side', async () => {
    const broker = new FakeBroker();
    const other = new FakeBroker();
    other.high.set(1, '6');
    const a = new ConsumerLagGauge({ kafka: broker.kafka, groupId: 'grp-b', topics: ['subs'], gauge: kafkaInstruments().consumerLag, logger: testLogger(), refreshMs: 0 });
    const b = new ConsumerLagGauge({ kafka: other.kafka, groupId: 'grp-c', topics: ['state'], gauge: kafkaInstruments().consumerLag, logger: testLogger(), refreshMs: 0 });
    a.start();
    b.start();
    broker.high.set(0, '2');
    expect((await lagLines('grp-b')).map((l) => l.split(' ').at(-1))).toEqual(['2', '0']);
    expect((await lagLines('grp-c')).map((l) => l.split(' ').at(-1))).toEqual(['0', '1']);
    broker.down = true;
    expect((await lagLines('grp-b')).map((l) => l.split(' ').at(-1))).toEqual(['2', '0']);
    await Promise.all([a.stop(), b.stop()]);
  });
});

describe(KafkaProducer.name, () => {
  it('counts acknowledged records by topic', async () => {
    const telemetry = startTelemetry({ serviceName: 'producer-spec', instrumentations: false });
    try {
      const producer = await KafkaProducer.connect(new FakeBroker().kafka, testLogger());
      await producer.send('feeds', [{ key: 'org_a', value: new Uint8Array([1]) }, { key: 'org_a', value: new Uint8Array([2]) }]);
      expect(await telemetry.renderMetrics()).toMatch(new RegExp(`^${KafkaMetricNames.produced.replace(/\./g, '_')}_total\\{topic="feeds"[^}]*\\} 2$`, 'm'));
    } finally {
      await telemetry.shutdown();
    }
  });
});
