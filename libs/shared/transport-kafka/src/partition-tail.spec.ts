import { testLogger } from '@signal-mesh/testing';

import { type FollowerDeps, RecordRing, TailFollower } from './partition-tail';
import type { RawRecord } from './topic-reader';

const record = (offset: number, partition = 0): RawRecord => ({ topic: 't', partition, offset: String(offset), key: 'org', value: Buffer.from(String(offset)), headers: {}, timestamp: '0' });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => record(from + i));

describe('RecordRing', () => {
  it('keeps the last `capacity` records and moves its floor past the evicted ones', () => {
    const ring = new RecordRing<RawRecord>(3, 10n);
    expect(ring.floor).toBe(10n);
    ring.push(range(10, 12));
    expect(ring.floor).toBe(10n);
    ring.push(range(12, 15));
    expect(ring.length).toBe(3);
    expect(ring.floor).toBe(12n);
    expect(ring.firstAtOrAfter(11n)).toBeUndefined();
    expect(ring.firstAtOrAfter(12n)?.offset).toBe('12');
    expect(ring.firstAtOrAfter(14n)?.offset).toBe('14');
    expect(ring.firstAtOrAfter(15n)).toBeUndefined();
  });

  it('finds the first record at or after a position across offset gaps', () => {
    const ring = new RecordRing<RawRecord>(10, 0n);
    ring.push([record(0), record(3), record(7)]);
    expect(ring.firstAtOrAfter(1n)?.offset).toBe('3');
    expect(ring.firstAtOrAfter(4n)?.offset).toBe('7');
    expect(ring.firstAtOrAfter(8n)).toBeUndefined();
  });

  it('wakes waiters on push', async () => {
    const ring = new RecordRing<RawRecord>(2, 0n);
    const woken = ring.whenChanged();
    ring.push([record(0)]);
    await expect(woken).resolves.toBeUndefined();
  });
});

/** A fake partition: startReader hands out records of `log` from a position in batches, like TopicReader. */
function fakeDeps(log: RawRecord[], batch = 4): FollowerDeps & { started: bigint[]; stopped: number } {
  const deps = {
    started: [] as bigint[],
    stopped: 0,
    gapCheckMs: 10,
    logger: testLogger(),
    async startReader(from: bigint, onRecords: (records: RawRecord[]) => Promise<void>) {
      deps.started.push(from);
      let position = from;
      let stopped = false;
      void (async () => {
        for (;;) {
          if (stopped) return;
          const next = log.filter((r) => BigInt(r.offset) >= position).slice(0, batch);
          if (next.length === 0) {
            await new Promise((r) => setTimeout(r, 5));
            continue;
          }
          await onRecords(next);
          position = BigInt(next[next.length - 1].offset) + 1n;
        }
      })();
      return {
        position: () => position.toString(),
        stop: async () => {
          stopped = true;
          deps.stopped++;
        },
        reachOffsets: () => new Promise<void>(() => undefined),
      };
    },
  };
  return deps;
}

describe('TailFollower', () => {
  it('reads from the ring when its position is within it', async () => {
    const ring = new RecordRing<RawRecord>(10, 5n);
    ring.push(range(5, 9));
    const deps = fakeDeps([]);
    const follower = new TailFollower(ring, 0, 6n, deps);
    const got = [await follower.next(), await follower.next()].map((r) => r.offset);
    expect(got).toEqual(['6', '7']);
    expect(follower.mode).toBe('ring');
    expect(deps.started).toEqual([]);
    await follower.close();
  });

  it('waits for the next pushed record at the live end', async () => {
    const ring = new RecordRing<RawRecord>(10, 5n);
    const follower = new TailFollower(ring, 0, 5n, fakeDeps([]));
    const pending = follower.next();
    setTimeout(() => ring.push([record(5)]), 10);
    expect((await pending).offset).toBe('5');
    await follower.close();
  });

  it('reads an older position with its own reader, then switches to the ring without gap or duplicate', async () => {
    const log = range(0, 30);
    const ring = new RecordRing<RawRecord>(5, 20n);
    ring.push(range(20, 25)); // floor 20, holds 20..24
    const deps = fakeDeps(log);
    const follower = new TailFollower(ring, 0, 3n, deps);
    const got: number[] = [];
    for (let i = 0; i < 22; i++) {
      got.push(Number((await follower.next()).offset));
      if (i === 2) expect(follower.mode).toBe('own-reader');
    }
    expect(got).toEqual(range(3, 25).map((r) => Number(r.offset)));
    expect(follower.mode).toBe('ring');
    expect(deps.started).toEqual([3n]);
    expect(deps.stopped).toBe(1);
    await follower.close();
  });

  it('detaches when the ring evicted its position (a slow follower) and catches up', async () => {
    const log = range(0, 40);
    const ring = new RecordRing<RawRecord>(5, 0n);
    ring.push(range(0, 5));
    const deps = fakeDeps(log);
    const follower = new TailFollower(ring, 0, 0n, deps);
    expect((await follower.next()).offset).toBe('0');
    ring.push(range(5, 40)); // the follower at 1 fell out: the ring holds 35..39
    const got: number[] = [];
    for (let i = 1; i < 40; i++) got.push(Number((await follower.next()).offset));
    expect(got).toEqual(range(1, 40).map((r) => Number(r.offset)));
    expect(deps.started).toEqual([1n]);
    await follower.close();
  });

  it('rejects a pending next() when closed or aborted', async () => {
    const ring = new RecordRing<RawRecord>(5, 0n);
    const follower = new TailFollower(ring, 0, 0n, fakeDeps([]));
    const pending = follower.next();
    await follower.close();
    await expect(pending).rejects.toThrow('follower closed');
    const other = new TailFollower(ring, 0, 0n, fakeDeps([]));
    const controller = new AbortController();
    const aborted = other.next(controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');
    await other.close();
  });
});
