// The Dockerfile, compose file and manifests cannot be built or applied in CI (no Docker engine, no cluster),
// so the properties a deploy relies on are asserted from the files themselves.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, parseDocument } from 'yaml';

const ROOT = join(__dirname, '..', '..', '..');
const read = (rel: string): string => readFileSync(join(ROOT, rel), 'utf8');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
const commandLine = (v: unknown): string => (Array.isArray(v) ? v.map(str).join(' ') : str(v));

const TOPICS_COMMAND = 'node tools/stack/cli.mjs topics';

// ---------- workspace facts ----------

/** Env var names the config sections read, e.g. KAFKA_BROKERS; `sensitive` ones must never sit in a ConfigMap. */
function configEnvVars(): { all: Set<string>; sensitive: Set<string> } {
  const source = read('libs/shared/util-config/src/sections.ts');
  const all = new Set<string>();
  const sensitive = new Set<string>();
  for (const line of source.split('\n')) {
    for (const m of line.matchAll(/\b(env|secret)\('([A-Z][A-Z0-9_]*)'/g)) {
      all.add(m[2]);
      if (m[1] === 'secret' || /,\s*'(uri|secret)'\)\s*,?\s*$/.test(line)) sensitive.add(m[2]);
    }
  }
  return { all, sensitive };
}

/** apps/<app> services (package.json `signalMesh.service`, as npm start reads it): each must be deployable. */
function serviceApps(): string[] {
  const dir = join(ROOT, 'apps');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((app) => {
    const pkg = join(dir, app, 'package.json');
    return existsSync(pkg) && Boolean((JSON.parse(readFileSync(pkg, 'utf8')) as { signalMesh?: { service?: unknown } }).signalMesh?.service);
  });
}

/** `secret.example.yaml`, `service-template.yaml.example`: documentation, never applied. */
const isExample = (path: string): boolean => /\.example(\.|$)/.test(path.split('/').at(-1) ?? '');

function yamlFilesUnder(rel: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, rel), { withFileTypes: true })) {
    const path = join(rel, entry.name);
    if (entry.isDirectory()) out.push(...yamlFilesUnder(path));
    else if (/\.ya?ml(\.example)?$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

/** Every document of a YAML file; throws on the first syntax error. */
function yamlDocs(rel: string): Obj[] {
  return parseAllDocuments(read(rel)).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${rel}: ${doc.errors[0].message}`);
    return obj(doc.toJS());
  });
}

// ---------- compose ----------

/** Compose resolves YAML merge keys (`<<: *anchor`), so parse the way it does. */
function parseCompose(text: string): Obj {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) throw new Error(doc.errors[0].message);
  return obj(doc.toJS());
}

const compose = (): Obj => parseCompose(read('docker-compose.yml'));
const services = (c: Obj): Obj => obj(c['services']);

function dependsOn(service: Obj): Map<string, string> {
  const raw = service['depends_on'];
  if (Array.isArray(raw)) return new Map(raw.map((name) => [str(name), 'service_started']));
  return new Map(Object.entries(obj(raw)).map(([name, spec]) => [name, str(obj(spec)['condition']) || 'service_started']));
}

/** Host address each published port binds, from short ("127.0.0.1:80:8080") or long syntax. */
function publishedHostIps(service: Obj): string[] {
  return list(service['ports']).map((port) => {
    if (isObj(port)) return str(port['host_ip']);
    const parts = str(port).split(':');
    return parts.length === 3 ? parts[0] : '';
  });
}

function durationMs(value: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(value);
  if (!m) return NaN;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
}

/** Why `app` is not (yet) a proper compose service: built from the x-mesh-service anchor with APP=<app>. */
function meshServiceProblems(composeText: string, app: string): string[] {
  const doc = parseDocument(composeText, { merge: true });
  const node = doc.getIn(['services', app], true);
  if (!isMap(node)) return [`no compose service "${app}"`];
  const problems: string[] = [];
  const mergesAnchor = node.items.some((pair) => {
    const isMerge = isScalar(pair.key) && (pair.key.source === '<<' || pair.key.value === '<<');
    const aliases = isSeq(pair.value) ? pair.value.items : [pair.value];
    return isMerge && aliases.some((a) => isAlias(a) && a.source === 'mesh-service');
  });
  if (!mergesAnchor) problems.push(`${app}: does not merge *mesh-service`);
  const service = obj(services(parseCompose(composeText))[app]);
  if (str(obj(obj(service['build'])['args'])['APP']) !== app) problems.push(`${app}: build.args.APP is not "${app}"`);
  if (dependsOn(service).get('kafka-init') !== 'service_completed_successfully') {
    problems.push(`${app}: does not wait for kafka-init to complete`);
  }
  return problems;
}

// ---------- Kubernetes ----------

const configMap = (): Obj => {
  const doc = yamlDocs('deploy/k8s/config.yaml').find((d) => d['kind'] === 'ConfigMap');
  if (!doc) throw new Error('deploy/k8s/config.yaml has no ConfigMap');
  return doc;
};
const kustomization = (): Obj => yamlDocs('deploy/k8s/kustomization.yaml')[0];
const shutdownGraceMs = (): number => Number(str(obj(configMap()['data'])['SHUTDOWN_GRACE_MS']) || 10_000);

/** Why the Deployment + Service in `docs` would not run an app the way the mesh expects. */
function deploymentProblems(docs: Obj[], name: string, graceMs: number): string[] {
  const deployment = docs.find((d) => d['kind'] === 'Deployment' && obj(d['metadata'])['name'] === name);
  if (!deployment) return [`no Deployment named ${name}`];
  const problems: string[] = [];
  const pod = obj(obj(obj(deployment['spec'])['template'])['spec']);
  const container = obj(list(pod['containers'])[0]);
  const portNames = list(container['ports']).map((p) => str(obj(p)['name']));
  for (const port of ['grpc', 'http']) if (!portNames.includes(port)) problems.push(`no container port named ${port}`);
  const probe = (key: string): Obj => obj(obj(container[key])['httpGet']);
  if (probe('livenessProbe')['path'] !== '/healthz' || probe('livenessProbe')['port'] !== 'http') {
    problems.push('livenessProbe is not GET /healthz on the http port');
  }
  if (probe('readinessProbe')['path'] !== '/readyz' || probe('readinessProbe')['port'] !== 'http') {
    problems.push('readinessProbe is not GET /readyz on the http port');
  }
  if (obj(pod['securityContext'])['runAsNonRoot'] !== true) problems.push('pod does not set runAsNonRoot');
  const sc = obj(container['securityContext']);
  if (sc['readOnlyRootFilesystem'] !== true) problems.push('root filesystem is writable');
  if (sc['allowPrivilegeEscalation'] !== false) problems.push('privilege escalation is allowed');
  const resources = obj(container['resources']);
  if (!obj(resources['requests'])['memory'] || !obj(resources['limits'])['memory']) problems.push('no memory request/limit');
  const envFrom = list(container['envFrom']).map(obj);
  if (!envFrom.some((e) => obj(e['configMapRef'])['name'] === obj(configMap()['metadata'])['name'])) {
    problems.push('env not from the mesh ConfigMap');
  }
  if (!envFrom.some((e) => obj(e['secretRef'])['name'])) problems.push('env not from a Secret');
  const annotations = obj(obj(obj(obj(deployment['spec'])['template'])['metadata'])['annotations']);
  const httpPort = str(obj(list(container['ports']).find((p) => obj(p)['name'] === 'http'))['containerPort']);
  if (str(annotations['prometheus.io/scrape']) !== 'true' || str(annotations['prometheus.io/port']) !== httpPort || str(annotations['prometheus.io/path']) !== '/metrics') {
    problems.push('pod template lacks prometheus.io annotations for GET /metrics on the http port');
  }
  if (!(Number(pod['terminationGracePeriodSeconds']) * 1000 > graceMs)) {
    problems.push(`terminationGracePeriodSeconds is not above SHUTDOWN_GRACE_MS (${graceMs} ms)`);
  }
  const service = docs.find((d) => d['kind'] === 'Service' && obj(d['metadata'])['name'] === name);
  const servicePorts = list(obj(service?.['spec'])['ports']).map((p) => str(obj(p)['targetPort']));
  if (!servicePorts.includes('grpc')) problems.push(`no Service ${name} targeting the grpc port`);
  return problems;
}

/** Why a set of committed YAML documents would leak a secret: Secret objects or credentials inside URIs. */
function secretLeaks(rel: string, docs: Obj[]): string[] {
  const leaks: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string' && /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i.test(value)) {
      leaks.push(`${rel} ${path}: URI with credentials`);
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`));
    else if (isObj(value)) for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
  };
  docs.forEach((doc, i) => {
    if (doc['kind'] === 'Secret') leaks.push(`${rel} document ${i}: kind Secret`);
    walk(doc, '');
  });
  return leaks;
}

// ---------- Dockerfile ----------

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}
interface Stage {
  readonly name: string;
  readonly from: string;
  readonly instructions: Instruction[];
}

function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword, rest] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const kw = keyword.toUpperCase();
    if (kw === 'FROM') {
      const words = rest.split(/\s+/).filter((w) => !w.startsWith('--'));
      stages.push({ from: words[0], name: words[2] ?? String(stages.length), instructions: [] });
    } else if (stages.length === 0 && kw === 'ARG') {
      const [name, value = ''] = rest.split('=');
      args.set(name, value);
    } else {
      stages.at(-1)?.instructions.push({ keyword: kw, args: rest });
    }
  }
  return { args, stages };
}

const dockerfile = () => parseDockerfile(read('Dockerfile'));

/** The stage and the stages it is built FROM, nearest first. */
function lineage(stages: Stage[], stage: Stage): Stage[] {
  const parent = stages.find((s) => s.name === stage.from);
  return parent ? [stage, ...lineage(stages, parent)] : [stage];
}

const instructions = (chain: Stage[], keyword: string): Instruction[] =>
  chain.flatMap((s) => s.instructions.filter((i) => i.keyword === keyword));

function envOf(chain: Stage[]): Map<string, string> {
  const env = new Map<string, string>();
  // Oldest stage first, so nearer stages override.
  for (const stage of [...chain].reverse()) {
    for (const { args } of stage.instructions.filter((i) => i.keyword === 'ENV')) {
      for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) env.set(m[1], m[2].replace(/^"|"$/g, ''));
    }
  }
  return env;
}

function copyParts(args: string): { from?: string; sources: string[] } {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  return { from, sources: paths.slice(0, -1) };
}

const installsDevDeps = (run: string): boolean => /\bnpm (ci|install|i)\b/.test(run) && !/--omit[= ]dev\b/.test(run);

/** A .dockerignore matcher good for the plain patterns used here: `*`, `**`, `!` and directory prefixes. */
function dockerIgnored(patterns: string[], path: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const source = pattern
      .split(/(\*\*\/|\*|\?)/)
      .map((part) => ({ '**/': '(?:.*/)?', '*': '[^/]*', '?': '[^/]' })[part] ?? part.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
      .join('');
    if (new RegExp(`^${source}(?:/.*)?$`).test(path)) ignored = !negate;
  }
  return ignored;
}

const dockerignorePatterns = (): string[] =>
  read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

// ---------- tests ----------

describe('docker-compose.yml', () => {
  it('parses, and every depends_on names a defined service', () => {
    const svc = services(compose());
    const missing = Object.entries(svc).flatMap(([name, s]) =>
      [...dependsOn(obj(s)).keys()].filter((dep) => !(dep in svc)).map((dep) => `${name} -> ${dep}`),
    );
    expect(Object.keys(svc)).toEqual(expect.arrayContaining(['kafka', 'kafka-init', 'mongo', 'otel-collector', 'jaeger', 'prometheus']));
    expect(missing).toEqual([]);
    expect([...dependsOn(obj(compose()['x-mesh-service'])).keys()].filter((dep) => !(dep in svc))).toEqual([]);
  });

  it('publishes ports on 127.0.0.1 only', () => {
    const ips = Object.values(services(compose())).flatMap((s) => publishedHostIps(obj(s)));
    expect(ips.length).toBeGreaterThan(0);
    expect(ips.filter((ip) => ip !== '127.0.0.1')).toEqual([]);
  });

  it('mounts config files that exist', () => {
    const sources = Object.values(services(compose()))
      .flatMap((s) => list(obj(s)['volumes']).map(str))
      .map((v) => v.split(':')[0])
      .filter((src) => src.startsWith('.'));
    expect(sources).toEqual(expect.arrayContaining(['./deploy/otel/collector.yaml', './deploy/prometheus/prometheus.yml', './deploy/grafana/dashboards']));
    expect(sources.filter((src) => !existsSync(join(ROOT, src)))).toEqual([]);
  });

  it('creates the topics in a one-shot kafka-init once Kafka is healthy, from a Dockerfile stage', () => {
    const init = obj(services(compose())['kafka-init']);
    expect(commandLine(init['command'])).toBe(TOPICS_COMMAND);
    expect(dependsOn(init).get('kafka')).toBe('service_healthy');
    expect(str(init['restart'])).toBe('no');
    expect(str(obj(init['environment'])['KAFKA_BROKERS'])).toMatch(/^[^\s:]+:\d+$/);
    const target = str(obj(init['build'])['target']);
    if (target) expect(dockerfile().stages.map((s) => s.name)).toContain(target);
  });

  it('runs Kafka without topic auto-creation, advertising the address the mesh connects to', () => {
    const svc = services(compose());
    const env = obj(obj(svc['kafka'])['environment']);
    expect(str(env['KAFKA_AUTO_CREATE_TOPICS_ENABLE'])).toBe('false');
    expect(obj(svc['kafka'])['healthcheck']).toBeDefined();
    const advertised = str(env['KAFKA_ADVERTISED_LISTENERS'])
      .split(',')
      .map((l) => l.replace(/^[A-Z_]+:\/\//, ''));
    const meshBrokers = str(obj(obj(compose()['x-mesh-service'])['environment'])['KAFKA_BROKERS']).split(',');
    const initBrokers = str(obj(obj(svc['kafka-init'])['environment'])['KAFKA_BROKERS']).split(',');
    expect(advertised).toEqual(expect.arrayContaining([...meshBrokers, ...initBrokers]));
  });

  it('runs MongoDB as replica set rs0, initiated by its healthcheck, and the apps connect with replicaSet=rs0', () => {
    const mongo = obj(services(compose())['mongo']);
    expect(commandLine(mongo['command'])).toMatch(/--replSet rs0\b/);
    const check = commandLine(obj(mongo['healthcheck'])['test']);
    expect(check).toContain('rs.initiate');
    expect(check).toContain("_id: 'rs0'");
    const uri = str(obj(obj(compose()['x-mesh-service'])['environment'])['MONGODB_URI']);
    expect(new URL(uri).searchParams.get('replicaSet')).toBe('rs0');
  });

  it('gives apps (x-mesh-service) healthy dependencies, known config variables and a stop grace above SHUTDOWN_GRACE_MS', () => {
    const mesh = obj(compose()['x-mesh-service']);
    const deps = dependsOn(mesh);
    expect(deps.get('kafka')).toBe('service_healthy');
    expect(deps.get('kafka-init')).toBe('service_completed_successfully');
    expect(deps.get('mongo')).toBe('service_healthy');
    const env = obj(mesh['environment']);
    const { all } = configEnvVars();
    expect(Object.keys(env).filter((k) => !all.has(k))).toEqual([]);
    expect(env['BIND_HOST']).toBe('0.0.0.0');
    expect(durationMs(str(mesh['stop_grace_period']))).toBeGreaterThan(Number(env['SHUTDOWN_GRACE_MS']));
  });

  it('has a service built from x-mesh-service for every service app', () => {
    const text = read('docker-compose.yml');
    expect(serviceApps().flatMap((app) => meshServiceProblems(text, app))).toEqual([]);
  });

  it('reports an app service that is missing, skips the anchor or builds the wrong APP', () => {
    const base = read('docker-compose.yml');
    expect(meshServiceProblems(base, 'example-app')).toEqual(['no compose service "example-app"']);
    const withApps = base.replace(
      /^services:\n/m,
      'services:\n' +
        '  good: { <<: *mesh-service, build: { context: ., args: { APP: good } } }\n' +
        '  copied: { image: example.com/copied, build: { args: { APP: other } } }\n',
    );
    expect(meshServiceProblems(withApps, 'good')).toEqual([]);
    expect(meshServiceProblems(withApps, 'copied')).toEqual([
      'copied: does not merge *mesh-service',
      'copied: build.args.APP is not "copied"',
      'copied: does not wait for kafka-init to complete',
    ]);
  });
});

describe('deploy/', () => {
  it('holds only YAML files that parse, examples included', () => {
    const files = yamlFilesUnder('deploy');
    expect(files).toEqual(expect.arrayContaining(['deploy/k8s/kustomization.yaml', 'deploy/k8s/service-template.yaml.example']));
    for (const file of files) expect(() => yamlDocs(file)).not.toThrow();
  });

  it('commits no Secret and no credentials outside example files', () => {
    const committed = ['docker-compose.yml', ...yamlFilesUnder('deploy').filter((f) => !isExample(f))];
    expect(committed).toContain('deploy/k8s/config.yaml');
    expect(committed.flatMap((file) => secretLeaks(file, yamlDocs(file)))).toEqual([]);
    // The scanner does catch the shape the example documents.
    expect(secretLeaks('secret.example.yaml', yamlDocs('deploy/k8s/secret.example.yaml'))).toHaveLength(2);
  });

  it('kustomization lists resources that exist, into namespace signal-mesh, and never the example Secret', () => {
    const k = kustomization();
    const resources = list(k['resources']).map(str);
    expect(resources).toEqual(expect.arrayContaining(['namespace.yaml', 'config.yaml', 'topics-job.yaml']));
    expect(resources.filter((r) => !existsSync(join(ROOT, 'deploy/k8s', r)))).toEqual([]);
    expect(resources.filter(isExample)).toEqual([]);
    expect(k['namespace']).toBe('signal-mesh');
    expect(obj(yamlDocs('deploy/k8s/namespace.yaml')[0]['metadata'])['name']).toBe('signal-mesh');
  });

  it('ConfigMap sets only variables the config sections read, never a sensitive one, with valid brokers', () => {
    const data = obj(configMap()['data']);
    const { all, sensitive } = configEnvVars();
    expect(all).toContain('KAFKA_BROKERS');
    expect(sensitive).toContain('MONGODB_URI');
    expect(Object.keys(data)).toEqual(expect.arrayContaining(['KAFKA_BROKERS', 'MONGODB_DATABASE', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'LOG_LEVEL']));
    expect(Object.keys(data).filter((k) => !all.has(k) || sensitive.has(k))).toEqual([]);
    expect(Object.values(data).filter((v) => typeof v !== 'string')).toEqual([]);
    expect(str(data['KAFKA_BROKERS']).split(',').filter((b) => !/^[^\s:]+:\d{1,5}$/.test(b))).toEqual([]);
  });

  it('topics Job runs the topics command as non-root with the ConfigMap environment and a kustomize-managed image', () => {
    const job = yamlDocs('deploy/k8s/topics-job.yaml').find((d) => d['kind'] === 'Job');
    const pod = obj(obj(obj(job?.['spec'])['template'])['spec']);
    const container = obj(list(pod['containers'])[0]);
    expect(commandLine(container['command'])).toBe(TOPICS_COMMAND);
    expect(['Never', 'OnFailure']).toContain(pod['restartPolicy']);
    expect(obj(pod['securityContext'])['runAsNonRoot']).toBe(true);
    const envFrom = list(container['envFrom']).map((e) => obj(obj(e)['configMapRef'])['name']);
    expect(envFrom).toContain(obj(configMap()['metadata'])['name']);
    expect(list(kustomization()['images']).map((i) => obj(i)['name'])).toContain(container['image']);
  });

  it('service template gives probes on the http port, non-root read-only containers and a grace above SHUTDOWN_GRACE_MS', () => {
    const docs = yamlDocs('deploy/k8s/service-template.yaml.example');
    expect(deploymentProblems(docs, 'APP_NAME', shutdownGraceMs())).toEqual([]);
  });

  it('reports a Deployment without readiness probe, non-root user or enough shutdown grace', () => {
    const docs = yamlDocs('deploy/k8s/service-template.yaml.example');
    const broken = JSON.parse(
      JSON.stringify(docs)
        .replace('"/readyz"', '"/healthz"')
        .replace('"runAsNonRoot":true', '"runAsNonRoot":false')
        .replace(/"terminationGracePeriodSeconds":\d+/, '"terminationGracePeriodSeconds":5')
        .replace('"prometheus.io/scrape":"true"', '"prometheus.io/scrape":"false"'),
    ) as Obj[];
    expect(deploymentProblems(broken, 'APP_NAME', 20_000)).toEqual([
      'readinessProbe is not GET /readyz on the http port',
      'pod does not set runAsNonRoot',
      'pod template lacks prometheus.io annotations for GET /metrics on the http port',
      'terminationGracePeriodSeconds is not above SHUTDOWN_GRACE_MS (20000 ms)',
    ]);
  });

  it('has a deploy/k8s/<app>.yaml Deployment, listed in the kustomization, for every service app', () => {
    const resources = list(kustomization()['resources']).map(str);
    const images = list(kustomization()['images']).map((i) => obj(i)['name']);
    const problems = serviceApps().flatMap((app) => {
      const file = `deploy/k8s/${app}.yaml`;
      if (!existsSync(join(ROOT, file))) return [`${file} missing`];
      const docs = yamlDocs(file);
      const container = obj(list(obj(obj(obj(docs.find((d) => d['kind'] === 'Deployment')?.['spec'])['template'])['spec'])['containers'])[0]);
      return [
        ...deploymentProblems(docs, app, shutdownGraceMs()).map((p) => `${file}: ${p}`),
        ...(resources.includes(`${app}.yaml`) ? [] : [`${app}.yaml not in kustomization resources`]),
        ...(images.includes(container['image']) ? [] : [`${file}: image not set in kustomization images`]),
      ];
    });
    expect(problems).toEqual([]);
  });

  it('collector receives OTLP on 4317/4318, sends traces to Jaeger and metrics to Prometheus', () => {
    const otel = yamlDocs('deploy/otel/collector.yaml')[0];
    const protocols = obj(obj(obj(otel['receivers'])['otlp'])['protocols']);
    expect(str(obj(protocols['grpc'])['endpoint'])).toMatch(/^0\.0\.0\.0:4317$/);
    expect(str(obj(protocols['http'])['endpoint'])).toMatch(/^0\.0\.0\.0:4318$/);

    const pipelines = obj(obj(otel['service'])['pipelines']);
    const traces = obj(pipelines['traces']);
    expect(list(traces['receivers'])).toContain('otlp');
    const undefinedRefs = Object.entries(pipelines).flatMap(([name, p]) =>
      (['receivers', 'processors', 'exporters'] as const).flatMap((kind) =>
        list(obj(p)[kind])
          .map(str)
          .filter((id) => !(id in obj(otel[kind])))
          .map((id) => `${name}.${kind}: ${id}`),
      ),
    );
    expect(undefinedRefs).toEqual([]);

    const exporters = obj(otel['exporters']);
    const svc = services(compose());
    const traceHosts = list(traces['exporters']).map((id) => str(obj(exporters[str(id)])['endpoint']).split(':')[0]);
    expect(traceHosts).toContain('jaeger');
    expect(svc).toHaveProperty('jaeger');

    const promPort = str(obj(exporters['prometheus'])['endpoint']).split(':').at(-1);
    expect(list(obj(pipelines['metrics'])['exporters'])).toContain('prometheus');
    const targets = list(yamlDocs('deploy/prometheus/prometheus.yml')[0]['scrape_configs'])
      .flatMap((job) => list(obj(job)['static_configs']))
      .flatMap((sc) => list(obj(sc)['targets']).map(str));
    expect(targets).toContain(`otel-collector:${promPort}`);
    expect(svc).toHaveProperty('otel-collector');
  });

  it('compose mounts the collector config where the collector is told to read it', () => {
    const collector = obj(services(compose())['otel-collector']);
    const mount = list(collector['volumes']).map(str).find((v) => v.startsWith('./deploy/otel/collector.yaml:'));
    const target = mount?.split(':')[1];
    expect(commandLine(collector['command'])).toContain(`--config=${target}`);
  });
});

// ---------- observability ----------

/** The instrument names agreed with the apps (OpenTelemetry names; Prometheus shows dots as `_`, counters with `_total`). */
const CONTRACT_METRICS: Record<string, 'counter' | 'gauge' | 'histogram'> = {
  'signal_mesh.ingest.contributions': 'counter',
  'signal_mesh.dedup.merges': 'counter',
  'signal_mesh.fanout.events': 'counter',
  'signal_mesh.fanout.revoke_to_retract': 'histogram',
  'signal_mesh.feed.subscribers': 'gauge',
  'signal_mesh.feed.delivery_latency': 'histogram',
  'signal_mesh.feed.events_delivered': 'counter',
  'signal_mesh.delisting.list_version': 'gauge',
  'signal_mesh.kafka.records': 'counter',
  'signal_mesh.kafka.dead_letters': 'counter',
  'signal_mesh.kafka.produced': 'counter',
  'signal_mesh.kafka.consumer_lag': 'gauge',
};

/** The series names Prometheus shows for an instrument. */
function prometheusNames(name: string, kind: 'counter' | 'gauge' | 'histogram'): string[] {
  const base = name.replace(/\./g, '_');
  if (kind === 'counter') return [`${base}_total`];
  if (kind === 'histogram') return [`${base}_bucket`, `${base}_sum`, `${base}_count`];
  return [base];
}

const GRAFANA_DASHBOARD = 'deploy/grafana/dashboards/signal-mesh.json';

describe('observability', () => {
  const dashboard = (): Obj => obj(JSON.parse(read(GRAFANA_DASHBOARD)));
  const exprs = (): string[] => list(dashboard()['panels']).flatMap((p) => list(obj(p)['targets']).map((t) => str(obj(t)['expr'])));

  it('Prometheus scrapes every service app on its HTTP port (/metrics), and the collector', () => {
    const jobs = list(yamlDocs('deploy/prometheus/prometheus.yml')[0]['scrape_configs']).map(obj);
    const targets = jobs.flatMap((job) => list(job['static_configs']).flatMap((sc) => list(obj(sc)['targets']).map(str)).map((t) => ({ t, path: str(job['metrics_path']) || '/metrics' })));
    const httpPort = str(obj(obj(compose()['x-mesh-service'])['environment'])['HTTP_PORT']);
    const missing = serviceApps().filter((app) => !targets.some(({ t, path }) => t === `${app}:${httpPort}` && path === '/metrics'));
    expect(serviceApps().length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
    expect(targets.map(({ t }) => t)).toEqual(expect.arrayContaining(['otel-collector:8889']));
  });

  it('the collector relays OTLP metrics under a prefix of their own, so they never double the scraped series', () => {
    const exporter = obj(obj(yamlDocs('deploy/otel/collector.yaml')[0]['exporters'])['prometheus']);
    expect(str(exporter['namespace'])).toMatch(/^[a-z]+$/);
  });

  it('runs Grafana with the provisioned Prometheus datasource and the dashboard mounted where the provider reads it', () => {
    const grafana = obj(services(compose())['grafana']);
    const mounts = list(grafana['volumes']).map(str).map((v) => v.split(':'));
    const targetOf = (src: string) => mounts.find(([from]) => from === src)?.[1];
    expect(targetOf('./deploy/grafana/provisioning/datasources')).toBe('/etc/grafana/provisioning/datasources');
    expect(targetOf('./deploy/grafana/provisioning/dashboards')).toBe('/etc/grafana/provisioning/dashboards');
    const provider = obj(list(yamlDocs('deploy/grafana/provisioning/dashboards/signal-mesh.yaml')[0]['providers'])[0]);
    expect(targetOf('./deploy/grafana/dashboards')).toBe(str(obj(provider['options'])['path']));
    const datasource = obj(list(yamlDocs('deploy/grafana/provisioning/datasources/prometheus.yaml')[0]['datasources'])[0]);
    expect(new URL(str(datasource['url'])).host).toBe('prometheus:9090');
    expect(services(compose())).toHaveProperty('prometheus');
    expect(dependsOn(grafana).has('prometheus')).toBe(true);

    const uids = list(dashboard()['panels']).flatMap((p) => [obj(obj(p)['datasource'])['uid'], ...list(obj(p)['targets']).map((t) => obj(obj(t)['datasource'])['uid'])]);
    expect(new Set(uids)).toEqual(new Set([datasource['uid']]));
  });

  it('the dashboard charts every agreed metric and only agreed metrics', () => {
    const known = new Set(Object.entries(CONTRACT_METRICS).flatMap(([name, kind]) => prometheusNames(name, kind)));
    const used = new Set(exprs().flatMap((e) => e.match(/\bsignal_mesh_[a-z_]+/g) ?? []));
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
    const uncharted = Object.entries(CONTRACT_METRICS).filter(([name, kind]) => !prometheusNames(name, kind).some((n) => used.has(n)));
    expect(uncharted.map(([name]) => name)).toEqual([]);
    // Every member of a group reports the whole group's lag: summing over instances would multiply it.
    expect(exprs().filter((e) => e.includes('signal_mesh_kafka_consumer_lag') && !/^max by/.test(e))).toEqual([]);
    // p50 and p99 for both latency histograms.
    for (const h of ['signal_mesh_feed_delivery_latency_bucket', 'signal_mesh_fanout_revoke_to_retract_bucket']) {
      expect(exprs().filter((e) => e.includes(h)).map((e) => /histogram_quantile\((0\.\d+)/.exec(e)?.[1])).toEqual(['0.5', '0.99']);
    }
  });
});

describe('Dockerfile', () => {
  const { args, stages } = dockerfile();
  const runtime = stages.at(-1) as Stage;
  const chain = lineage(stages, runtime);

  it('builds every stage from Node 24 and copies only from earlier stages', () => {
    const images = stages
      .filter((s) => !stages.some((other) => other.name === s.from))
      .map((s) => s.from.replace(/\$\{?(\w+)\}?/g, (_, name: string) => args.get(name) ?? ''));
    expect(images.length).toBeGreaterThan(0);
    expect(images.filter((image) => !/^node:24([.-]|$)/.test(image))).toEqual([]);
    stages.forEach((stage, index) => {
      const earlier = stages.slice(0, index).map((s) => s.name);
      const froms = stage.instructions.filter((i) => i.keyword === 'COPY').map((i) => copyParts(i.args).from);
      expect(froms.filter((f): f is string => f !== undefined && !earlier.includes(f))).toEqual([]);
    });
  });

  it('takes ARG APP, builds it and its libs with nx, and carries APP into the runtime CMD', () => {
    const build = stages.find((s) => s.instructions.some((i) => /nx run-many -t build -p "?@signal-mesh\/\$\{APP\}"?/.test(i.args)));
    expect(build).toBeDefined();
    const buildChain = lineage(stages, build as Stage);
    expect(envOf(buildChain).get('NX_DAEMON')).toBe('false');
    expect(envOf(buildChain).get('NX_NO_CLOUD')).toBe('true');
    expect(instructions(buildChain, 'RUN').some((i) => /\bnpm ci\b/.test(i.args))).toBe(true);
    expect(build?.instructions.some((i) => i.keyword === 'ARG' && i.args === 'APP')).toBe(true);

    // ARG is scoped to its stage: the stage that copies APP into ENV must declare it first.
    const envStage = chain.find((s) => s.instructions.some((i) => i.keyword === 'ENV' && /\bAPP=\$\{?APP\}?/.test(i.args)));
    expect(envStage).toBeDefined();
    const at = (pred: (i: Instruction) => boolean) => envStage?.instructions.findIndex(pred) ?? -1;
    expect(at((i) => i.keyword === 'ARG' && i.args === 'APP')).toBeGreaterThanOrEqual(0);
    expect(at((i) => i.keyword === 'ARG' && i.args === 'APP')).toBeLessThan(at((i) => i.keyword === 'ENV' && /\bAPP=/.test(i.args)));
    expect(instructions(chain, 'CMD')[0].args).toContain('apps/${APP}/dist/main.js');
  });

  it('runs the runtime image as a non-root user with NODE_ENV=production and BIND_HOST=0.0.0.0', () => {
    const user = instructions(chain, 'USER')[0]?.args ?? 'root';
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/);
    const env = envOf(chain);
    expect(env.get('NODE_ENV')).toBe('production');
    expect(env.get('BIND_HOST')).toBe('0.0.0.0');
  });

  it('gives the runtime image node_modules from a production-only install', () => {
    expect(instructions(chain, 'RUN').filter((i) => installsDevDeps(i.args))).toEqual([]);
    const sources = instructions(chain, 'COPY')
      .map((i) => copyParts(i.args))
      .filter((c) => c.from && c.sources.some((s) => s.includes('node_modules')));
    expect(sources.length).toBeGreaterThan(0);
    for (const { from } of sources) {
      const runs = instructions(lineage(stages, stages.find((s) => s.name === from) as Stage), 'RUN').map((i) => i.args);
      expect(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
      expect(runs.filter(installsDevDeps)).toEqual([]);
    }
  });

  it('checks health with node fetching /healthz on HTTP_PORT, no curl', () => {
    const check = instructions(chain, 'HEALTHCHECK')[0]?.args ?? '';
    expect(check).toMatch(/"node",\s*"-e"/);
    expect(check).toContain('http://127.0.0.1:');
    expect(check).toContain('process.env.HTTP_PORT');
    expect(check).toContain('/healthz');
    expect(check).not.toMatch(/\b(curl|wget)\b/);
  });

  it('ships tools/stack and the topic catalogue so the same image can create topics', () => {
    const copied = instructions(chain, 'COPY')
      .map((i) => copyParts(i.args))
      .filter((c) => !c.from)
      .flatMap((c) => c.sources);
    expect(copied).toEqual(expect.arrayContaining(['tools/stack', 'libs/shared/contracts/src/topics.ts']));
    const tools = stages.find((s) => instructions(lineage(stages, s), 'CMD')[0]?.args.includes('tools/stack/cli.mjs'));
    expect(tools && commandLine(JSON.parse(instructions(lineage(stages, tools), 'CMD')[0].args))).toBe(TOPICS_COMMAND);
  });

  it('copies from the build context only files that exist and that .dockerignore lets through', () => {
    const sources = stages
      .flatMap((s) => s.instructions.filter((i) => i.keyword === 'COPY').map((i) => copyParts(i.args)))
      .filter((c) => !c.from)
      .flatMap((c) => c.sources)
      .filter((s) => s !== '.');
    const patterns = dockerignorePatterns();
    expect(sources.filter((s) => !existsSync(join(ROOT, s)))).toEqual([]);
    expect(sources.filter((s) => dockerIgnored(patterns, s))).toEqual([]);
    for (const kept of ['package-lock.json', '.npmrc', 'proto', 'tools/proto/generate.mjs']) {
      expect(dockerIgnored(patterns, kept)).toBe(false);
    }
  });

  it('.dockerignore keeps dependencies, build outputs and local state out of the context at any depth', () => {
    const patterns = dockerignorePatterns();
    const mustIgnore = ['node_modules', 'libs/shared/util-config/node_modules', 'libs/shared/util-config/dist/index.js', '.git', '.local/run/stack.json', '.nx/cache', 'tmp', 'coverage'];
    expect(mustIgnore.filter((p) => !dockerIgnored(patterns, p))).toEqual([]);
  });
});
