import { join } from 'node:path';

import { credentials, loadPackageDefinition, type ServiceError, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { AuthenticateResponse, AuthorizeRequest, TrustServiceClient, TrustServiceService } from '@signal-mesh/contracts';
import { createLogger } from '@signal-mesh/util-logging';

import { readErrorDetail, toServiceError } from './errors';
import { GrpcServer } from './server';

const logger = createLogger({ service: 'spec', level: 'silent' });
const protoRoot = join(require.resolve('@grpc/reflection/package.json'), '..', 'build', 'proto');
const healthProto = join(require.resolve('grpc-health-check/package.json'), '..', 'proto', 'health', 'v1', 'health.proto');

type Unary<Req, Res> = (req: Req, cb: (err: ServiceError | null, res: Res) => void) => void;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyClient = any;

function clients(port: number) {
  const target = `127.0.0.1:${port}`;
  const health = loadPackageDefinition(loadSync(healthProto, { enums: String })) as AnyClient;
  const reflection = loadPackageDefinition(loadSync(join(protoRoot, 'grpc/reflection/v1/reflection.proto'))) as AnyClient;
  return {
    health: new health.grpc.health.v1.Health(target, credentials.createInsecure()),
    reflection: new reflection.grpc.reflection.v1.ServerReflection(target, credentials.createInsecure()),
    trust: new TrustServiceClient(target, credentials.createInsecure()),
  };
}

const call = <Req, Res>(fn: Unary<Req, Res>, req: Req) =>
  new Promise<Res>((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));

describe(GrpcServer.name, () => {
  let server: GrpcServer;
  let c: ReturnType<typeof clients>;
  let release: (() => void) | undefined;

  beforeAll(async () => {
    server = await GrpcServer.start({
      host: '127.0.0.1',
      port: 0,
      logger,
      services: [
        {
          name: 'signalmesh.v1.TrustService',
          definition: TrustServiceService,
          implementation: {
            authenticate: (callObj: { request: { apiKey: string } }, cb: (err: ServiceError | null, res?: AuthenticateResponse) => void) => {
              const key = callObj.request.apiKey;
              if (key === 'hang') {
                release = () => cb(null, AuthenticateResponse.fromPartial({}));
                return;
              }
              const err = key === 'bad' ? { code: 'API_KEY_UNKNOWN', message: 'unknown API key' } : new Error('database exploded at /srv/secret/path.ts:12');
              cb(toServiceError(err, (code) => (code === 'API_KEY_UNKNOWN' ? status.UNAUTHENTICATED : undefined)));
            },
          },
        },
      ],
    });
    c = clients(server.port);
  });

  afterAll(async () => {
    await server.shutdown(100);
  });

  it('reports NOT_SERVING until the app is ready, then SERVING for the server and each service', async () => {
    const check = (service: string) => call<{ service: string }, { status: string }>(c.health.Check.bind(c.health), { service });
    expect((await check('')).status).toBe('NOT_SERVING');
    server.setServing(true);
    expect((await check('')).status).toBe('SERVING');
    expect((await check('signalmesh.v1.TrustService')).status).toBe('SERVING');
    await expect(check('signalmesh.v1.Nope')).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it('serves reflection for the shared schema', async () => {
    const stream = c.reflection.ServerReflectionInfo();
    const answer = new Promise<{ listServicesResponse: { service: { name: string }[] } }>((resolve, reject) => {
      stream.on('data', resolve);
      stream.on('error', reject);
    });
    stream.write({ listServices: '' });
    const names = (await answer).listServicesResponse.service.map((s) => s.name);
    stream.end();
    expect(names).toEqual(expect.arrayContaining(['signalmesh.v1.IngestService', 'signalmesh.v1.TrustService', 'signalmesh.v1.FeedService', 'signalmesh.v1.DelistingService']));

    const fileStream = c.reflection.ServerReflectionInfo();
    const file = new Promise<{ fileDescriptorResponse?: { fileDescriptorProto: Buffer[] } }>((resolve, reject) => {
      fileStream.on('data', resolve);
      fileStream.on('error', reject);
    });
    fileStream.write({ fileContainingSymbol: 'signalmesh.v1.SubmitRequest' });
    expect((await file).fileDescriptorResponse?.fileDescriptorProto.length).toBeGreaterThan(0);
    fileStream.end();
  });

  it('maps coded errors to a status with a structured detail, and hides everything else', async () => {
    const authenticate = c.trust.authenticate.bind(c.trust) as Unary<{ apiKey: string }, AuthenticateResponse>;
    const coded = await call(authenticate, { apiKey: 'bad' }).catch((e: ServiceError) => e);
    expect(coded).toMatchObject({ code: status.UNAUTHENTICATED });
    expect(readErrorDetail(coded as ServiceError)).toMatchObject({ code: 'API_KEY_UNKNOWN', message: 'unknown API key' });

    const internal = (await call(authenticate, { apiKey: 'other' }).catch((e: ServiceError) => e)) as ServiceError;
    expect(internal.code).toBe(status.INTERNAL);
    expect(internal.details).toBe('INTERNAL: internal error');
    expect(JSON.stringify(internal)).not.toMatch(/exploded|secret/);
  });

  it('answers UNIMPLEMENTED for methods the service does not implement', async () => {
    const authorize = c.trust.authorize.bind(c.trust) as Unary<object, unknown>;
    await expect(call(authorize, AuthorizeRequest.fromPartial({}))).rejects.toMatchObject({ code: status.UNIMPLEMENTED });
  });

  it('shuts down within the grace period even with a call that never finishes', async () => {
    const other = await GrpcServer.start({ host: '127.0.0.1', port: 0, logger, services: [{ name: 'signalmesh.v1.TrustService', definition: TrustServiceService, implementation: { authenticate: () => undefined } }] });
    const client = new TrustServiceClient(`127.0.0.1:${other.port}`, credentials.createInsecure());
    const pending = call(client.authenticate.bind(client) as Unary<{ apiKey: string }, unknown>, { apiKey: 'x' }).catch((e: ServiceError) => e);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await other.shutdown(300);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await pending).toMatchObject({ code: expect.any(Number) });
    client.close();
    release?.();
  });
});
