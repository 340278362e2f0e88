import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { HealthController } from '@signal-mesh/feature-service';

import { ContributionsController, DISPUTE_FIELDS } from './contributions.controller';
import { OPENAPI_DOCUMENT } from './openapi';
import { OpenApiController } from './openapi.controller';
import { CSV_COLUMNS, JSON_ITEM_FIELDS } from './rest-items';

type Controller = abstract new (...args: never[]) => unknown;

/** Every route a controller registers, as OpenAPI spells it: `POST /v1/contributions/{contributionId}:revoke`. */
function routesOf(controller: Controller): string[] {
  const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '').replace(/^\/|\/$/g, '');
  const prototype = controller.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(prototype)
    .filter((name) => name !== 'constructor' && Reflect.getMetadata(PATH_METADATA, prototype[name] as object) !== undefined)
    .map((name) => {
      const handler = prototype[name] as object;
      const path = String(Reflect.getMetadata(PATH_METADATA, handler));
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const full = `/${[base, path.replace(/^\//, '')].filter(Boolean).join('/')}`
        // `:name` is a parameter, `\:` a literal colon (custom methods such as `:batch`).
        .replace(/(^|[^\\]):([A-Za-z_]\w*)/g, '$1{$2}')
        .replace(/\\:/g, ':');
      return `${method} ${full}`;
    });
}

const documented = (): string[] => Object.entries(OPENAPI_DOCUMENT.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));

describe('OpenAPI document', () => {
  it('documents every route the controllers register, and nothing else', () => {
    const registered = [ContributionsController, OpenApiController, HealthController].flatMap(routesOf);
    expect(registered).toEqual(
      expect.arrayContaining(['POST /v1/contributions', 'POST /v1/contributions:batch', 'POST /v1/contributions/{contributionId}:revoke', 'POST /v1/signals/{signalId}:dispute', 'GET /v1/openapi.json', 'GET /healthz']),
    );
    expect(documented().sort()).toEqual(registered.sort());
  });

  it('names every path parameter it uses and every field the REST layer reads', () => {
    for (const [path, item] of Object.entries(OPENAPI_DOCUMENT.paths)) {
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const operation of Object.values(item) as { parameters?: { name: string; in: string }[] }[]) {
        expect((operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name)).toEqual(params);
      }
    }
    expect(Object.keys(OPENAPI_DOCUMENT.components.schemas.ContributionItem.properties).sort()).toEqual([...JSON_ITEM_FIELDS].sort());
    expect(Object.keys(OPENAPI_DOCUMENT.components.schemas.DisputeRequest.properties).sort()).toEqual([...DISPUTE_FIELDS].sort());
    const batchDescription = OPENAPI_DOCUMENT.paths['/v1/contributions:batch'].post.description;
    for (const column of Object.keys(CSV_COLUMNS)) expect(batchDescription).toContain(column);
  });

  it('is OpenAPI 3.1 with resolvable references', () => {
    expect(OPENAPI_DOCUMENT.openapi).toBe('3.1.0');
    const refs = [...JSON.stringify(OPENAPI_DOCUMENT).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((name) => !(name in OPENAPI_DOCUMENT.components.schemas))).toEqual([]);
  });
});
