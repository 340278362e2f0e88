import { CATEGORY_VOCABULARY } from '@signal-mesh/signals-domain';

// The REST API's contract, hand-written (no decorator-driven generator): served at GET /v1/openapi.json, and a unit
// spec checks that every route the controllers register is documented here.

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const errorResponse = (description: string, headers?: object) => ({ description, ...(headers ? { headers } : {}), content: json(ref('Error')) });
const retryAfter = { 'Retry-After': { description: 'Seconds until the organisation may submit again.', schema: { type: 'integer', minimum: 1 } } };

const common = {
  '400': errorResponse('Invalid request or item (code says which: a validation code such as URL_INVALID, or INVALID_FIELD, UNKNOWN_FIELD, MALFORMED_JSON, MALFORMED_CSV, IDEMPOTENCY_KEY_INVALID, IDEMPOTENCY_KEY_MISMATCH).'),
  '401': errorResponse('Missing or refused API key (API_KEY_MISSING, API_KEY_INVALID, API_KEY_REVOKED, API_KEY_EXPIRED, ORGANISATION_SUSPENDED).'),
  '403': errorResponse('Not allowed by the trust service (e.g. NOT_ENTITLED, MARKING_NOT_ALLOWED, TIER_TOO_LOW, API_KEY_WRONG_SCOPE, NOT_OWNER).'),
  '413': errorResponse('Body larger than the limit (PAYLOAD_TOO_LARGE) or too many items (BATCH_TOO_LARGE).'),
  '415': errorResponse('Unsupported Content-Type (UNSUPPORTED_MEDIA_TYPE).'),
  '429': errorResponse('Per-organisation rate limit reached (RATE_LIMITED).', retryAfter),
  '503': errorResponse('Not durable: Kafka, MongoDB or the trust service unavailable (PUBLISH_FAILED, STORE_UNAVAILABLE, TRUST_UNAVAILABLE, NOT_READY). Retry; with an idempotency key the retry is safe.'),
};

const idempotencyHeader = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: '1–128 visible ASCII characters, scoped to your organisation, remembered for 24 h (configurable). The same key with the same body replays the original result (replayed: true); with a different body it is refused with 409 IDEMPOTENCY_KEY_REUSED.',
  schema: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' },
};

const categories = CATEGORY_VOCABULARY.categories.map((c) => c.id);

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Signal Mesh ingest API',
    version: '1.0.0',
    description:
      'Contribute, revoke and dispute signals (model-file hashes, nudify-service URLs, prompt patterns — never content). Every call carries your organisation\'s API key in `x-api-key` (or `Authorization: Bearer`). A success answer means the change is durable in Kafka. The same operations exist over gRPC (`signalmesh.v1.IngestService`). See docs/ingest-api.md.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  security: [{ apiKey: [] }, { bearer: [] }],
  paths: {
    '/v1/contributions': {
      post: {
        operationId: 'submitContribution',
        summary: 'Submit one contribution',
        parameters: [idempotencyHeader],
        requestBody: { required: true, content: json(ref('ContributionItem')) },
        responses: {
          '201': { description: 'Accepted and durable.', content: json({ type: 'object', required: ['result'], properties: { result: ref('SubmitResult') } }) },
          '200': { description: 'Replay of an earlier identical request with the same idempotency key (replayed: true).', content: json({ type: 'object', properties: { result: ref('SubmitResult') } }) },
          ...common,
          '409': errorResponse('Idempotency key reused with a different body (IDEMPOTENCY_KEY_REUSED).'),
        },
      },
    },
    '/v1/contributions:batch': {
      post: {
        operationId: 'submitBatch',
        summary: 'Submit up to 10,000 contributions as a JSON array or a CSV file',
        description:
          'Each item is answered on its own, in order; invalid items never cause valid ones to be dropped. With an Idempotency-Key header, item i without its own key gets the key `<header>:<i>`. CSV: a header row with the columns type, value, scope, kind, algorithm, categories, marking, sharing_groups, named_orgs, confidence, opinion, valid_until, evidence_note, idempotency_key, client_item_id (any order; type and value required); lists are semicolon-separated; a row\'s clientItemId defaults to the line it starts on.',
        parameters: [idempotencyHeader],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { type: 'array', minItems: 1, maxItems: 10_000, items: ref('ContributionItem') } },
            'text/csv': { schema: { type: 'string' }, example: 'type,value,scope,categories,marking,confidence\nurl,https://nudify.example.com/,domain,service.nudify,GREEN,90\n' },
          },
        },
        responses: {
          '200': { description: 'One result per item.', headers: retryAfter, content: json(ref('BatchResponse')) },
          ...common,
        },
      },
    },
    '/v1/contributions/{contributionId}:revoke': {
      post: {
        operationId: 'revokeContribution',
        summary: 'Revoke one of your own contributions',
        description: 'Repeating it is harmless. A contribution accepted moments ago may not be found yet (404 CONTRIBUTION_NOT_FOUND): retry shortly.',
        parameters: [{ name: 'contributionId', in: 'path', required: true, schema: { type: 'string', pattern: '^ctb_[0-9a-f]{32}$' } }],
        requestBody: { required: false, content: json({ type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: 500 } } }) },
        responses: {
          '200': { description: 'Revoked (durable).', content: json(ref('RevokeResponse')) },
          ...common,
          '404': errorResponse('No such contribution (CONTRIBUTION_NOT_FOUND).'),
        },
      },
    },
    '/v1/signals/{signalId}:dispute': {
      post: {
        operationId: 'disputeSignal',
        summary: 'Dispute a signal you can see',
        description: 'Records a NEGATIVE contribution with your reason, marking and audience over the categories you see. A signal you may not see answers 404 exactly like a missing one.',
        parameters: [{ name: 'signalId', in: 'path', required: true, schema: { type: 'string' } }, idempotencyHeader],
        requestBody: { required: true, content: json(ref('DisputeRequest')) },
        responses: {
          '201': { description: 'Dispute accepted and durable.', content: json({ type: 'object', properties: { result: ref('SubmitResult') } }) },
          '200': { description: 'Replay of an earlier identical dispute with the same idempotency key.', content: json({ type: 'object', properties: { result: ref('SubmitResult') } }) },
          ...common,
          '404': errorResponse('No such signal, or not visible to you (SIGNAL_NOT_FOUND).'),
          '409': errorResponse('Idempotency key reused with a different body (IDEMPOTENCY_KEY_REUSED).'),
        },
      },
    },
    '/v1/openapi.json': {
      get: { operationId: 'openapi', summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1 document.', content: json({ type: 'object' }) } } },
    },
    '/healthz': { get: { operationId: 'healthz', summary: 'Liveness', security: [], responses: { '200': { description: 'The process answers.' } } } },
    '/readyz': {
      get: { operationId: 'readyz', summary: 'Readiness', security: [], responses: { '200': { description: 'Ready (MongoDB answers, gRPC serving).' }, '503': { description: 'Not ready.' } } },
    },
  },
  components: {
    securitySchemes: {
      apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      bearer: { type: 'http', scheme: 'bearer' },
    },
    schemas: {
      ContributionItem: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'value', 'categories', 'marking', 'confidence'],
        properties: {
          type: { type: 'string', enum: ['model-hash', 'url', 'prompt-pattern'] },
          value: { type: 'string', description: 'Raw value: a hash (e.g. sha256:…), a URL, a keyword phrase or an RE2 regular expression.' },
          scope: { type: 'string', enum: ['exact', 'path-prefix', 'host', 'domain'], description: 'URL only; default exact.' },
          kind: { type: 'string', enum: ['keyword', 'regex'], description: 'Prompt pattern only; default keyword.' },
          algorithm: { type: 'string', enum: ['sha256', 'sha1', 'md5', 'autov2'], description: 'Model hash only; default: from prefix and length.' },
          categories: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'string', enum: categories } },
          marking: { type: 'string', enum: ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'], description: 'TLP 2.0; TLP:AMBER+STRICT spellings accepted.' },
          sharingGroupIds: { type: 'array', items: { type: 'string' }, description: 'Required for AMBER (only).' },
          namedOrgIds: { type: 'array', items: { type: 'string' }, description: 'Required for AMBER_STRICT and RED (only).' },
          confidence: { type: 'integer', minimum: 0, maximum: 100 },
          opinion: { type: 'string', enum: ['POSITIVE', 'NEGATIVE'], description: 'Default POSITIVE.' },
          validUntil: { type: 'string', format: 'date-time', description: 'In the future; after it the contribution no longer counts.' },
          evidenceNote: { type: 'string', maxLength: 1000, description: 'Short note about the evidence; never content.' },
          externalRefs: { type: 'array', maxItems: 20, items: ref('ExternalRef') },
          idempotencyKey: { type: 'string', minLength: 1, maxLength: 128, description: 'Same as the Idempotency-Key header (they must agree when both are sent).' },
          clientItemId: { type: 'string', description: 'Your own reference, echoed in batch results.' },
        },
      },
      ExternalRef: {
        type: 'object',
        additionalProperties: false,
        required: ['system', 'id'],
        properties: { system: { type: 'string', maxLength: 200 }, id: { type: 'string', maxLength: 200 }, url: { type: 'string', format: 'uri', maxLength: 2048 } },
      },
      SubmitResult: {
        type: 'object',
        required: ['contributionId', 'signalId', 'type', 'canonicalValue', 'replayed'],
        properties: {
          contributionId: { type: 'string' },
          signalId: { type: 'string' },
          type: { type: 'string', enum: ['model-hash', 'url', 'prompt-pattern'] },
          canonicalValue: { type: 'string' },
          replayed: { type: 'boolean', description: 'True when this is the stored result of an earlier identical request with the same idempotency key.' },
        },
      },
      BatchResponse: {
        type: 'object',
        required: ['accepted', 'rejected', 'results'],
        properties: {
          accepted: { type: 'integer' },
          rejected: { type: 'integer' },
          results: {
            type: 'array',
            items: {
              type: 'object',
              required: ['index', 'status'],
              properties: {
                index: { type: 'integer', description: 'Zero-based position of the item in the request.' },
                clientItemId: { type: 'string' },
                status: { type: 'string', enum: ['accepted', 'rejected'] },
                result: ref('SubmitResult'),
                error: ref('ErrorDetail'),
              },
            },
          },
        },
      },
      RevokeResponse: {
        type: 'object',
        required: ['contributionId', 'signalId', 'revokedAt'],
        properties: { contributionId: { type: 'string' }, signalId: { type: 'string' }, revokedAt: { type: 'string', format: 'date-time' } },
      },
      DisputeRequest: {
        type: 'object',
        additionalProperties: false,
        required: ['reason', 'marking', 'confidence'],
        properties: {
          reason: { type: 'string', minLength: 1, maxLength: 500 },
          marking: { type: 'string', enum: ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'] },
          sharingGroupIds: { type: 'array', items: { type: 'string' } },
          namedOrgIds: { type: 'array', items: { type: 'string' } },
          confidence: { type: 'integer', minimum: 0, maximum: 100, description: 'How confident you are that the signal is wrong.' },
          idempotencyKey: { type: 'string', minLength: 1, maxLength: 128 },
        },
      },
      ErrorDetail: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', description: 'Stable code; treat unknown codes as generic failures.' },
          message: { type: 'string', description: 'For humans; may change, never parse it.' },
          field: { type: 'string', description: 'The field the error refers to, when there is one.' },
        },
      },
      Error: { type: 'object', required: ['error'], properties: { error: ref('ErrorDetail') } },
    },
  },
} as const;
