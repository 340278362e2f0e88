import { type Counter, type Meter, metrics } from '@opentelemetry/api';
import type { ChangeKind } from '@signal-mesh/delisting-domain';

/**
 * The delisting service's instruments (names agreed in issue 9; README "Metrics"). Organisation ids are not
 * attributes (cardinality): the version gauge is per list, the highest version of that list across organisations.
 */
export class DelistingMetrics {
  /** Changes written to list logs, by kind (ADD | REMOVE). */
  readonly changes: Counter<{ kind: ChangeKind }>;
  private readonly versions = new Map<string, number>();

  /**
   * Created with the processor, not at import: the metrics API has no proxy, so instruments made before the service
   * registered its MeterProvider would stay no-ops.
   */
  constructor(meter: Meter = metrics.getMeter('@signal-mesh/delisting')) {
    this.changes = meter.createCounter('signal_mesh.delisting.changes', { description: 'Delisting list changes written, by kind', unit: '{change}' });
    meter
      .createObservableGauge('signal_mesh.delisting.list_version', {
        description: 'Highest version of each list across organisations, as this instance last read or wrote it',
        unit: '{version}',
      })
      .addCallback((result) => {
        for (const [listId, version] of this.versions) result.observe(version, { list_id: listId });
      });
  }

  /** A list version this instance read or wrote (the gauge keeps the highest per list). */
  observeVersion(listId: string, version: number): void {
    if (version > (this.versions.get(listId) ?? Number.NEGATIVE_INFINITY)) this.versions.set(listId, version);
  }

  countChanges(changes: readonly { readonly kind: ChangeKind }[]): void {
    let adds = 0;
    for (const change of changes) if (change.kind === 'ADD') adds++;
    if (adds > 0) this.changes.add(adds, { kind: 'ADD' });
    if (changes.length > adds) this.changes.add(changes.length - adds, { kind: 'REMOVE' });
  }
}
