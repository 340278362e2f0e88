// Bytes of a delta (GET /v1/lists/{listId}/changes?since=V, every page) after changing 1 % of a delisting list's
// entries, relative to the bytes of the full snapshot (GET …/snapshot, NDJSON) at V. Both uncompressed, both served by
// the BUILT delisting service (child process) for one SEARCH_ENGINE organisation, trust-authorised.
// Goal (issue 8): ratio <= 0.02. The entries and the 1 % changes (ADDs replacing an entry: its match scope becomes
// DOMAIN, as when a contributor widens a signal) are written through @signal-mesh/delisting-data-access directly, as
// in delisting-snapshot. The ratio hardly depends on N (a change's JSON vs an NDJSON line); default N is
// BENCH_DELISTING_DELTA_ENTRIES = 10,000 because FerretDB's load and snapshot read are slow (see delisting-snapshot).
import { delistingFixture, entryOf, LIST, timedGet } from './delisting-snapshot.bench.mjs';

const COUNT = Number(process.env.BENCH_DELISTING_DELTA_ENTRIES ?? 10_000);
const EVERY = 100;

export default {
  name: 'delisting-delta',
  description: `changes?since=V after changing 1 % of a ${COUNT.toLocaleString('en-US')}-entry delisting list vs the full snapshot at V`,
  async run(ctx) {
    const fixture = await delistingFixture(ctx, COUNT, 'bench-delist-delta');
    try {
      const headers = { 'x-api-key': fixture.org.key };
      const base = `${fixture.service.httpUrl}/v1/lists/${LIST}`;
      const snapshot = await timedGet(`${base}/snapshot?format=ndjson`, headers);
      if (snapshot.status !== 200 || snapshot.headers['content-encoding'] || snapshot.headers['etag'] !== `"${COUNT}"`) throw new Error(`snapshot answered ${snapshot.status} at ${snapshot.headers['etag']}`);

      // 1 %: every 100th entry replaced (entry n was added at version n + 1).
      const changes = [];
      for (let n = 0, version = COUNT; n < COUNT; n += EVERY) changes.push({ version: ++version, kind: 'ADD', previousAddedVersion: n + 1, entryCountAfter: COUNT, entry: entryOf(n, fixture.at, { matchScope: 'DOMAIN' }) });
      await fixture.repository.applyChanges(fixture.org.orgId, LIST, changes, new Date());

      let since = COUNT;
      let bytes = 0;
      let received = 0;
      let pages = 0;
      for (;;) {
        const page = await timedGet(`${base}/changes?since=${since}&pageSize=10000`, headers, true);
        if (page.status !== 200 || page.headers['content-encoding']) throw new Error(`changes answered ${page.status}: ${page.body.toString('utf8').slice(0, 200)}`);
        bytes += page.bytes;
        pages += 1;
        const body = JSON.parse(page.body.toString('utf8'));
        received += body.changes.length;
        if (!body.hasMore || body.changes.length === 0) break;
        since = body.changes.at(-1).version;
      }
      if (received !== changes.length) throw new Error(`changes returned ${received} changes, expected ${changes.length}`);
      const gz = await timedGet(`${base}/snapshot?format=ndjson`, { ...headers, 'accept-encoding': 'gzip' });
      ctx.log(`${changes.length} changes in ${pages} page(s): ${bytes.toLocaleString('en-US')} bytes (${(bytes / changes.length).toFixed(0)} per change); snapshot ${snapshot.bytes.toLocaleString('en-US')} bytes (${(snapshot.bytes / COUNT).toFixed(0)} per entry; gzip ${gz.bytes.toLocaleString('en-US')})`);
      return [{ figure: `Delta after changing 1 % of ${COUNT.toLocaleString('en-US')} entries`, unit: 'bytes', value: bytes, baseline: snapshot.bytes, baselineName: 'the full NDJSON snapshot (goal ratio <= 0.02)' }];
    } finally {
      await fixture.close();
    }
  },
};
