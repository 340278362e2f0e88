import type { Logger } from '@signal-mesh/util-logging';

import { resolveCaller } from './caller';
import type { IngestLimits } from './config';
import { DisputeSignal } from './dispute-signal.usecase';
import type { IngestMetrics } from './metrics';
import type { Authenticator, Authorizer, Caller, Clock, IdempotencyStore, SignalLookup, SubmissionPublisher, ViewLookup } from './ports';
import { RateLimiter } from './rate-limiter';
import { RevokeContribution } from './revoke-contribution.usecase';
import { SubmitContributions } from './submit-contributions.usecase';

/** What both transports (gRPC and REST) call: authentication plus the three use cases, and the limits they enforce. */
export interface IngestApi {
  readonly limits: IngestLimits;
  caller(apiKey: string | undefined): Promise<Caller>;
  readonly submit: SubmitContributions;
  readonly revoke: RevokeContribution;
  readonly dispute: DisputeSignal;
}

export interface IngestApiDeps {
  readonly trust: Authenticator & Authorizer;
  readonly idempotency: IdempotencyStore;
  readonly publisher: SubmissionPublisher;
  readonly signals: SignalLookup;
  readonly views: ViewLookup;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limits: IngestLimits;
  readonly newContributionId?: () => string;
  readonly metrics?: IngestMetrics;
}

export function createIngestApi(deps: IngestApiDeps): IngestApi {
  const { trust, clock, logger, limits } = deps;
  const limiter = new RateLimiter({ perSecond: limits.rateItemsPerSecond, burst: limits.rateBurst });
  const submit = new SubmitContributions({
    authorizer: trust,
    idempotency: deps.idempotency,
    publisher: deps.publisher,
    limiter,
    clock,
    logger,
    chunkItems: limits.chunkItems,
    newContributionId: deps.newContributionId,
    metrics: deps.metrics,
  });
  return {
    limits,
    caller: (apiKey) => resolveCaller(trust, apiKey),
    submit,
    revoke: new RevokeContribution({ authorizer: trust, signals: deps.signals, publisher: deps.publisher, submit, clock, logger }),
    dispute: new DisputeSignal({ signals: deps.signals, views: deps.views, submit, clock, logger }),
  };
}
