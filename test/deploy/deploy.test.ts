// Static validation of deploy/ (Dockerfiles, docker compose, Kubernetes manifests, gateway
// configurations). Nothing here runs Docker or a cluster: the files are checked against each other
// and against what the code reads. deploy/local (the dev scripts) is not part of this.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');
const COMPOSE_FILE = join(DEPLOY, 'docker-compose.yml');
const K8S = join(DEPLOY, 'kubernetes');
const GATEWAYS = join(DEPLOY, 'gateways');

type Obj = Record<string, unknown>;
const rel = (path: string): string => relative(ROOT, path);

function walk(dir: string, skip: (path: string) => boolean = () => false): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip(path) || entry.name === 'node_modules') continue;
    if (entry.isDirectory()) out.push(...walk(path, skip));
    else out.push(path);
  }
  return out.sort();
}

const isLocal = (path: string): boolean => path === join(DEPLOY, 'local') || path.startsWith(join(DEPLOY, 'local') + '/');
const deployFiles = walk(DEPLOY, isLocal);
const yamlFiles = deployFiles.filter((f) => /\.ya?ml$/.test(f));

function yamlDocs(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8'), { merge: true })
    .map((doc) => doc.toJS() as unknown)
    .filter((doc) => doc !== null && doc !== undefined);
}

// ---- the services and what each reads from its environment ------------------------------------

interface AppService {
  name: 'tap' | 'enricher' | 'billing' | 'dashboard';
  port: number;
  /** Folders whose sources are the service's own. */
  srcDirs: string[];
  /** Other workspaces' sources it imports (@tollgate/platform, @tollgate/schemas, ...). */
  uses: string[];
  entry: string;
  /** The bundled module the image runs instead of the entry through tsx (deploy/build/bundle.mjs). */
  bundle?: string;
  /** Names fixed by the service's issue, accepted while its entry point is not written yet. */
  pending: string[];
}

const CLICKHOUSE_NAMES = ['CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'CLICKHOUSE_DATABASE', 'CLICKHOUSE_CLUSTER'];
/** Every shared package's sources (packages/platform, packages/registry, packages/catalog, ...). */
const PACKAGE_DIRS = readdirSync(join(ROOT, 'packages')).sort().map((p) => `packages/${p}/src`);
const SHARED_DIRS = [...PACKAGE_DIRS, 'schemas/src'];
const SERVICES: AppService[] = [
  { name: 'tap', port: 8700, srcDirs: ['services/tap/src'], uses: [...SHARED_DIRS, 'packages/tap-delivery/src'], entry: 'services/tap/src/main.ts', bundle: 'services/tap/dist/main.mjs', pending: [] },
  { name: 'enricher', port: 8701, srcDirs: ['services/enricher/src'], uses: SHARED_DIRS, entry: 'services/enricher/src/main.ts', pending: [] },
  {
    name: 'billing',
    port: 8702,
    srcDirs: ['services/billing/src'],
    uses: SHARED_DIRS,
    entry: 'services/billing/src/main.ts',
    pending: ['BILLING_HOST', 'BILLING_PORT', 'BILLING_ADMIN_TOKENS', 'BILLING_PLANS_FILE', 'STRIPE_SECRET_KEY', 'STRIPE_API_BASE', 'STRIPE_WEBHOOK_SECRET', 'BILLING_SCHEDULE', ...CLICKHOUSE_NAMES],
  },
  {
    name: 'dashboard',
    port: 8703,
    srcDirs: ['services/dashboards/src'],
    uses: SHARED_DIRS,
    entry: 'services/dashboards/src/main.ts',
    pending: ['DASHBOARD_HOST', 'DASHBOARD_PORT', 'QUERY_TOKENS', 'BILLING_PLANS_FILE', ...CLICKHOUSE_NAMES],
  },
];
const HEALTH_PATHS = new Set(['/healthz', '/readyz']);
/** runService's default deadline for a graceful stop (packages/platform/src/service-main.ts). */
const DEFAULT_SHUTDOWN_TIMEOUT_MS = Number(/DEFAULT_SHUTDOWN_TIMEOUT_MS = ([\d_]+)/.exec(readFileSync(join(ROOT, 'packages/platform/src/service-main.ts'), 'utf8'))?.[1]?.replace(/_/g, '') ?? Number.NaN);

const NAME = `([A-Z][A-Z0-9_]*)`;
const Q = `['"\`]`;
/** Every way the code reads a variable: EnvReader methods, env.X / process.env.X, env['X'], helper(env | reader, 'X'). */
const READ_PATTERNS = [
  new RegExp(`\\.(?:string|int|list|bool|oneOf|required|url)\\(\\s*${Q}${NAME}${Q}`, 'g'),
  new RegExp(`\\benv\\.${NAME}\\b`, 'g'),
  new RegExp(`\\benv\\[\\s*${Q}${NAME}${Q}\\s*\\]`, 'g'),
  new RegExp(`\\(\\s*(?:process\\.env|env|reader|r)\\s*,\\s*${Q}${NAME}${Q}`, 'g'), // helper(env, 'X'), helper(reader, 'X')
  new RegExp(`\\{([^}]*)\\}\\s*=\\s*process\\.env\\b`, 'g'), // const { A, B } = process.env
];

export function envNamesIn(source: string): Set<string> {
  const names = new Set<string>();
  const code = source.replace(/^\s*\/\/.*$/gm, ''); // whole-line comments mention names they do not read
  for (const pattern of READ_PATTERNS) {
    for (const match of code.matchAll(pattern)) {
      const found = match[1] ?? '';
      if (pattern.source.startsWith('\\{')) {
        for (const part of found.split(',')) {
          const id = /^\s*([A-Z][A-Z0-9_]*)/.exec(part)?.[1];
          if (id) names.add(id);
        }
      } else {
        names.add(found);
      }
    }
  }
  return names;
}

const SOURCE_ROOTS = [
  ...readdirSync(join(ROOT, 'services')).map((s) => `services/${s}/src`),
  ...SHARED_DIRS,
];
const sourceFiles = SOURCE_ROOTS.flatMap((dir) => walk(join(ROOT, dir))).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

interface FnChunk {
  name: string;
  file: string;
  body: string;
  names: Set<string>;
}

/** Top-level functions (and arrow-function consts) with the variables each reads; a file's module-level reads go with each of its functions. */
function functionIndex(): FnChunk[] {
  const chunks: FnChunk[] = [];
  const decl = /^(?:export\s+)?(?:async\s+)?function\s*\*?\s*(\w+)|^(?:export\s+)?const\s+(\w+)\s*=\s*(?:async\s*)?(?:\([^)]*\)|\w+)\s*(?::[^=]+)?=>/gm;
  for (const file of sourceFiles) {
    const text = readFileSync(file, 'utf8');
    const starts = [...text.matchAll(decl)].map((m) => ({ name: m[1] ?? m[2] ?? '', index: m.index }));
    const moduleLevel = envNamesIn(starts.length > 0 ? text.slice(0, starts[0]!.index) : text);
    starts.forEach((start, i) => {
      const body = text.slice(start.index, starts[i + 1]?.index ?? text.length);
      chunks.push({ name: start.name, file, body, names: new Set([...envNamesIn(body), ...moduleLevel]) });
    });
  }
  return chunks;
}
const FUNCTIONS = functionIndex();

const under = (file: string, dirs: string[]): boolean => dirs.some((d) => file.startsWith(join(ROOT, d) + '/'));

/** Names a service reads: its own sources, plus every function of the workspaces it uses that it calls (transitively). */
function namesReadBy(service: AppService): Set<string> {
  const own = sourceFiles.filter((f) => under(f, service.srcDirs));
  const shared = FUNCTIONS.filter((fn) => under(fn.file, service.uses) && fn.name !== 'main');
  const names = new Set<string>();
  const pending = own.map((f) => readFileSync(f, 'utf8'));
  const seen = new Set<FnChunk>();
  for (const text of pending) for (const n of envNamesIn(text)) names.add(n);
  while (pending.length > 0) {
    const text = pending.pop()!;
    for (const fn of shared) {
      if (seen.has(fn) || !new RegExp(`\\b${fn.name}\\b`).test(text)) continue;
      seen.add(fn);
      for (const n of fn.names) names.add(n);
      pending.push(fn.body);
    }
  }
  return names;
}

const notes: string[] = [];
function note(message: string): void {
  if (!notes.includes(message)) {
    notes.push(message);
    console.log(`[deploy note] ${message}`);
  }
}

const READS = new Map(SERVICES.map((s) => [s.name, namesReadBy(s)]));
const ALL_READ = new Set(sourceFiles.flatMap((f) => [...envNamesIn(readFileSync(f, 'utf8'))]));

/** The variables a deploy file may set on a service, with a note for names accepted only as pending. */
function acceptedFor(service: AppService): Set<string> {
  const accepted = new Set(READS.get(service.name));
  if (!existsSync(join(ROOT, service.entry))) {
    const missing = service.pending.filter((n) => !accepted.has(n));
    if (missing.length > 0) {
      note(`${service.entry} does not exist yet: accepting ${service.name}'s issue names not read by its code yet: ${missing.join(', ')}`);
    }
    for (const n of service.pending) accepted.add(n);
  }
  return accepted;
}

function unreadNames(service: AppService, names: Iterable<string>): string[] {
  const accepted = acceptedFor(service);
  return [...names].filter((n) => !accepted.has(n));
}

// ---- the tap's formats, read from its source ----------------------------------------------------

const tapFormats = (() => {
  const text = readFileSync(join(ROOT, 'services/tap/src/ingest/formats/index.ts'), 'utf8');
  const body = /export const formats[^=]*=\s*\{([^}]*)\}/.exec(text)?.[1] ?? '';
  return body.split(',').map((s) => s.trim().split(':')[0]!.trim()).filter((s) => s !== '');
})();

// =================================================================================================

describe('env name extractor', () => {
  it('finds the names of every reading style', () => {
    const sample = [
      "r.string('A_ONE', 'x'); reader.int('A_TWO', 1); r.list(\"A_THREE\"); x.bool('A_FOUR', true);",
      "r.oneOf('A_FIVE', ['a'] as const, 'a'); r.required('A_SIX', 'why'); reader.url('A_SEVEN');",
      "process.env.A_EIGHT; env.A_NINE; env['A_TEN']; envValue(env, 'A_ELEVEN'); parseTokens(r, 'A_FOURTEEN');",
      'const { A_TWELVE, A_THIRTEEN: renamed } = process.env;',
      "// r.string('COMMENTED_OUT')",
    ].join('\n');
    expect([...envNamesIn(sample)].sort()).toEqual(
      ['A_EIGHT', 'A_ELEVEN', 'A_FIVE', 'A_FOUR', 'A_FOURTEEN', 'A_NINE', 'A_ONE', 'A_SEVEN', 'A_SIX', 'A_TEN', 'A_THIRTEEN', 'A_THREE', 'A_TWELVE', 'A_TWO'].sort(),
    );
  });

  it('knows what the shared code reads', () => {
    for (const n of ['KAFKA_BROKERS', 'CLICKHOUSE_URL', 'CLICKHOUSE_CLUSTER', 'USAGE_RETENTION_DAYS', 'STRIPE_API_BASE', 'STRIPE_SECRET_KEY', 'TAP_TOKENS']) {
      expect(ALL_READ, n).toContain(n);
    }
  });

  it('attributes shared reads to the services that call them, and only those', () => {
    const tap = READS.get('tap')!;
    const enricher = READS.get('enricher')!;
    expect(tap).toContain('KAFKA_BROKERS');
    expect(tap).toContain('TAP_HMAC_KEY');
    expect(tap).not.toContain('CLICKHOUSE_URL');
    for (const n of ['KAFKA_BROKERS', 'CLICKHOUSE_URL', 'CLICKHOUSE_PASSWORD', 'CLICKHOUSE_CLUSTER', 'USAGE_RETENTION_DAYS', 'ENRICHER_ADMIN_TOKENS', 'IP_HASH_KEY']) {
      expect(enricher, n).toContain(n);
    }
    expect(enricher).not.toContain('TAP_TOKENS');
  });
});

describe('every YAML file under deploy/ parses', () => {
  it('has YAML files to check', () => {
    expect(yamlFiles.length).toBeGreaterThan(5);
  });
  it.each(yamlFiles.map((f) => [rel(f), f]))('%s', (_name, file) => {
    const docs = parseAllDocuments(readFileSync(file, 'utf8'), { merge: true });
    for (const doc of docs) {
      expect(doc.errors.map((e) => e.message), rel(file)).toEqual([]);
    }
    expect(docs.length).toBeGreaterThan(0);
  });
});

// ---- Dockerfiles --------------------------------------------------------------------------------

interface Instruction {
  op: string;
  args: string;
}

function dockerInstructions(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** COPY sources (without --from) of a Dockerfile, relative to the build context. */
function copySources(args: string): string[] | undefined {
  const parts = args.trim().startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  if (parts.some((p) => p.startsWith('--from='))) return undefined;
  const paths = parts.filter((p) => !p.startsWith('--'));
  return paths.slice(0, -1);
}

const SHARED = /# ----- shared stages[\s\S]*# ----- end of shared stages -----/;

interface Manifest {
  name?: string;
  dependencies?: Record<string, string>;
}
const manifestOf = (dir: string): Manifest => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Manifest;

/** Workspace folder by package name, from the root package.json's "workspaces" ('dir' or 'dir/*'). */
const WORKSPACES = new Map(
  (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces
    .flatMap((pattern) => (pattern.endsWith('/*') ? readdirSync(join(ROOT, pattern.slice(0, -2))).map((d) => `${pattern.slice(0, -2)}/${d}`) : [pattern]))
    .filter((dir) => existsSync(join(ROOT, dir, 'package.json')))
    .map((dir) => [manifestOf(dir).name ?? dir, dir]),
);

/** The workspace folders a workspace depends on, directly or through another workspace. */
function workspaceDependencies(dir: string, found = new Set<string>()): Set<string> {
  for (const name of Object.keys(manifestOf(dir).dependencies ?? {})) {
    const dependency = WORKSPACES.get(name);
    if (dependency === undefined || found.has(dependency)) continue;
    found.add(dependency);
    workspaceDependencies(dependency, found);
  }
  return found;
}

describe('Dockerfiles (deploy/docker/<service>.Dockerfile)', () => {
  const dockerfiles = SERVICES.map((s) => ({ service: s, file: join(DEPLOY, 'docker', `${s.name}.Dockerfile`) }));

  it('has one per service, sharing identical base stages', () => {
    const shared = new Set<string>();
    for (const { file } of dockerfiles) {
      expect(existsSync(file), rel(file)).toBe(true);
      const block = SHARED.exec(readFileSync(file, 'utf8'))?.[0];
      expect(block, `${rel(file)} has the shared stages block`).toBeDefined();
      shared.add(block!);
    }
    expect(shared.size, 'the shared stages are identical in every Dockerfile').toBe(1);
  });

  it.each(dockerfiles.map((d) => [d.service.name, d]))('%s: COPY sources, user, port, healthcheck, command, env', (_n, { service, file }) => {
    const text = readFileSync(file, 'utf8');
    const instructions = dockerInstructions(text);
    expect(instructions.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='))?.args).toBe('NODE_IMAGE=node:20-bookworm-slim');

    for (const copy of instructions.filter((i) => i.op === 'COPY' || i.op === 'ADD')) {
      for (const src of copySources(copy.args) ?? []) {
        expect(existsSync(resolve(ROOT, src)), `${rel(file)}: COPY source ${src} exists in the build context (repo root)`).toBe(true);
      }
    }
    const users = instructions.filter((i) => i.op === 'USER').map((i) => i.args);
    expect(users.at(-1), 'runs as a non-root user').toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(users.at(-1));
    expect(instructions.filter((i) => i.op === 'EXPOSE').map((i) => i.args)).toEqual([String(service.port)]);

    const health = instructions.find((i) => i.op === 'HEALTHCHECK');
    expect(health?.args).toMatch(/\/healthz/);
    for (const path of health?.args.match(/\/[a-z]+z\b/g) ?? []) expect(HEALTH_PATHS).toContain(path);
    expect(health?.args).toContain(String(service.port));

    const cmd = JSON.parse(instructions.filter((i) => i.op === 'CMD').at(-1)?.args ?? '[]') as string[];
    // node, then V8 flags if any (e.g. a heap cap), then the TypeScript loader and the entry point,
    // or the bundle that an earlier RUN built from the entry point.
    expect(cmd[0]).toBe('node');
    if (service.bundle !== undefined) {
      expect(cmd.slice(1, -1).every((flag) => /^--[a-z-]+=\d+$/.test(flag))).toBe(true);
      expect(cmd.at(-1)).toBe(service.bundle);
      const build = `node deploy/build/bundle.mjs ${service.entry} ${service.bundle}`;
      expect(instructions.some((i) => i.op === 'RUN' && i.args.includes(build)), `${rel(file)} RUNs ${build}`).toBe(true);
    } else {
      const loader = cmd.indexOf('--import');
      expect(cmd.slice(1, loader).every((flag) => /^--[a-z-]+=\d+$/.test(flag))).toBe(true);
      expect(cmd.slice(loader, loader + 2)).toEqual(['--import', 'tsx']);
      expect(cmd[loader + 2]).toBe(service.entry);
    }
    if (!existsSync(join(ROOT, service.entry))) note(`${rel(file)}: CMD runs ${service.entry}, which does not exist yet`);
    // The entry point's folder is copied into the image, and so is every workspace it depends on.
    const copied = instructions.filter((i) => i.op === 'COPY').flatMap((i) => copySources(i.args) ?? []);
    const isCopied = (path: string): boolean => copied.some((src) => path.startsWith(src.replace(/\/?$/, '/')));
    expect(isCopied(service.entry)).toBe(true);
    const workspace = service.srcDirs[0]!.replace(/\/src$/, '');
    const dependencies = workspaceDependencies(workspace);
    expect(dependencies.size, `${workspace}/package.json declares workspaces`).toBeGreaterThan(0);
    for (const dir of dependencies) expect(isCopied(`${dir}/`), `${rel(file)} copies ${dir}, which ${workspace} depends on`).toBe(true);

    // ENV of the service stage (after the shared block) is what the service reads.
    const own = dockerInstructions(text.replace(SHARED, ''));
    const envNames = own.filter((i) => i.op === 'ENV').flatMap((i) => [...i.args.matchAll(/([A-Z][A-Z0-9_]*)=/g)].map((m) => m[1]!));
    expect(envNames).toContain(`${service.name.toUpperCase()}_HOST`);
    expect(unreadNames(service, envNames), `${rel(file)} ENV read by ${service.name}`).toEqual([]);

    const ignore = `${file}.dockerignore`;
    expect(existsSync(ignore), `${rel(ignore)} exists`).toBe(true);
    expect(readFileSync(ignore, 'utf8')).toMatch(/^\*\*\/node_modules$/m);
  });

  it('the lockfile pins the tsx the images install', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    expect(lock.packages['node_modules/tsx']?.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

// ---- docker compose -----------------------------------------------------------------------------

describe('deploy/docker-compose.yml', () => {
  const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as Obj;
  const services = compose.services as Record<string, Obj>;
  const envOf = (svc: Obj): Record<string, string> => {
    const env = svc.environment;
    if (Array.isArray(env)) return Object.fromEntries(env.map((e: string) => [e.split('=')[0]!, e.split('=').slice(1).join('=')]));
    return Object.fromEntries(Object.entries((env as Obj | undefined) ?? {}).map(([k, v]) => [k, String(v)]));
  };

  it('has every service', () => {
    for (const name of ['kafka', 'clickhouse', 'tap', 'enricher', 'billing', 'dashboard', 'grafana']) {
      expect(Object.keys(services)).toContain(name);
    }
  });

  it.each(SERVICES.map((s) => [s.name, s]))('%s: build, env read by the code, healthcheck, ports', (_n, service) => {
    const svc = services[service.name]!;
    const build = svc.build as Obj;
    const context = resolve(DEPLOY, String(build.context));
    expect(context.replace(/\/$/, '')).toBe(ROOT.replace(/\/$/, ''));
    expect(build.dockerfile).toBe(`deploy/docker/${service.name}.Dockerfile`);
    expect(existsSync(join(context, String(build.dockerfile)))).toBe(true);

    const env = envOf(svc);
    expect(unreadNames(service, Object.keys(env)), `compose env of ${service.name} read by its code`).toEqual([]);
    expect(env[`${service.name.toUpperCase()}_HOST`]).toBe('0.0.0.0');
    if ('KAFKA_BROKERS' in env) expect(env.KAFKA_BROKERS).toBe('kafka:9092');
    if ('CLICKHOUSE_URL' in env) expect(env.CLICKHOUSE_URL).toBe('http://clickhouse:8123');

    const test = ((svc.healthcheck as Obj | undefined)?.test ?? []) as string[];
    const paths = test.join(' ').match(/https?:\/\/[^/'"\s]+(\/[A-Za-z0-9_/-]*)/g)?.map((u) => new URL(u).pathname) ?? [];
    expect(paths.length, `${service.name} has an HTTP healthcheck`).toBeGreaterThan(0);
    for (const path of paths) expect(HEALTH_PATHS).toContain(path);
    expect(test.join(' ')).toContain(`:${service.port}/`);

    for (const [dep, cond] of Object.entries((svc.depends_on ?? {}) as Record<string, Obj>)) {
      expect(Object.keys(services), `${service.name} depends on ${dep}`).toContain(dep);
      expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(cond.condition);
      if (cond.condition === 'service_healthy') expect(services[dep]!.healthcheck, `${dep} has a healthcheck`).toBeDefined();
    }
    const ports = ((svc.ports ?? []) as string[]).map((p) => String(p).split(':').at(-1));
    for (const p of ports) expect(p).toBe(String(service.port));
  });

  it('app services wait for what they use', () => {
    const deps = (name: string): Record<string, Obj> => (services[name]!.depends_on ?? {}) as Record<string, Obj>;
    expect(deps('tap').kafka?.condition).toBe('service_healthy');
    expect(deps('enricher').kafka?.condition).toBe('service_healthy');
    for (const name of ['enricher', 'billing', 'dashboard']) expect(deps(name).clickhouse?.condition).toBe('service_healthy');
  });

  it('the tap\'s spool (TAP_SPOOL_DIR) is a named volume, kept when the container is removed', () => {
    const tap = services.tap!;
    const spoolDir = envOf(tap).TAP_SPOOL_DIR;
    expect(spoolDir).toBeDefined();
    const mount = ((tap.volumes ?? []) as string[]).map((v) => v.split(':')).find((parts) => parts[1] === spoolDir);
    expect(mount, 'a volume is mounted at TAP_SPOOL_DIR').toBeDefined();
    expect(mount![0]).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/); // a name, not a host path
    expect(Object.keys((compose.volumes ?? {}) as Obj)).toContain(mount![0]);
  });

  it('app services get longer to stop than their SHUTDOWN_TIMEOUT_MS', () => {
    const seconds = (d: string): number => Number(/^(\d+)s$/.exec(d)?.[1] ?? Number.NaN);
    for (const service of SERVICES) {
      const svc = services[service.name]!;
      const timeout = Number(envOf(svc).SHUTDOWN_TIMEOUT_MS ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
      expect(seconds(typeof svc.stop_grace_period === 'string' ? svc.stop_grace_period : '10s') * 1000, service.name).toBeGreaterThan(timeout);
    }
  });

  it('billing is a single replica', () => {
    const deploy = services.billing!.deploy as Obj | undefined;
    expect(deploy?.replicas ?? 1).toBe(1);
  });

  it('Kafka is a single KRaft node with internal topics at replication factor 1', () => {
    const kafka = services.kafka!;
    expect(String(kafka.image)).toMatch(/apache\/kafka:(3\.9|4\.)/);
    const env = envOf(kafka);
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain('PLAINTEXT://kafka:9092');
    expect(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe('1');
    expect(env.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR).toBe('1');
    expect(env.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR).toBe('1');
    expect(env.CLUSTER_ID).toMatch(/[A-Za-z0-9_-]{22}/);
    expect(kafka.healthcheck).toBeDefined();
  });

  it('ClickHouse server has a healthcheck', () => {
    expect(String(services.clickhouse!.image)).toMatch(/clickhouse\/clickhouse-server/);
    expect(services.clickhouse!.healthcheck).toBeDefined();
  });

  it('Grafana has the ClickHouse plugin, the provisioning mounted and every variable it interpolates', () => {
    const grafana = services.grafana!;
    const env = envOf(grafana);
    expect(env.GF_INSTALL_PLUGINS).toContain('grafana-clickhouse-datasource');
    const mounts = new Map((grafana.volumes as string[]).map((v) => [v.split(':')[0]!, v.split(':')[1]!]));
    expect(mounts.get('../dashboards/grafana/provisioning')).toBe('/etc/grafana/provisioning');
    expect(mounts.has('../dashboards/grafana/dashboards')).toBe(true);
    const provisioning = join(ROOT, 'dashboards/grafana/provisioning');
    if (!existsSync(provisioning)) {
      note('dashboards/grafana/provisioning does not exist yet (mounted into Grafana by deploy/docker-compose.yml)');
      return;
    }
    for (const file of walk(provisioning).filter((f) => /\.ya?ml$/.test(f))) {
      const text = readFileSync(file, 'utf8').replace(/^\s*#.*$/gm, '');
      for (const m of text.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)) expect(Object.keys(env), `${rel(file)} uses $${m[1]}`).toContain(m[1]);
      const doc = parse(text) as { providers?: Array<{ options?: { path?: string } }> };
      for (const provider of doc.providers ?? []) {
        expect(provider.options?.path, `${rel(file)}: provider path is where compose mounts the dashboards`).toBe(mounts.get('../dashboards/grafana/dashboards'));
      }
    }
  });

  it('host paths mounted into containers exist', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const volume of (svc.volumes ?? []) as string[]) {
        const source = volume.split(':')[0]!.replace(/^\$\{[A-Z_]+:-([^}]*)\}$/, '$1');
        if (!source.startsWith('.') && !source.startsWith('/')) continue; // named volume
        expect(existsSync(resolve(DEPLOY, source)), `${name}: ${source}`).toBe(true);
      }
    }
  });

  it('every ${VAR} it uses is documented in .env.example, and .env.example holds nothing else', () => {
    const text = readFileSync(COMPOSE_FILE, 'utf8').replace(/^\s*#.*$/gm, '');
    const used = new Set([...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
    const example = readFileSync(join(DEPLOY, '.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
    expect([...used].filter((v) => !documented.has(v)), 'used in compose, missing from .env.example').toEqual([]);
    expect([...documented].filter((v) => !used.has(v)), 'in .env.example, unused by compose').toEqual([]);
  });
});

// ---- Kubernetes ---------------------------------------------------------------------------------

describe('deploy/kubernetes', () => {
  const files = walk(K8S).filter((f) => /\.ya?ml$/.test(f));
  const kustomization = parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as Obj;
  const objects = files
    .filter((f) => !f.endsWith('kustomization.yaml'))
    .flatMap((f) => yamlDocs(f).map((doc) => ({ file: f, doc: doc as Obj })));
  const ofKind = (kind: string): Obj[] => objects.filter((o) => o.doc.kind === kind).map((o) => o.doc);
  const meta = (o: Obj): Obj => o.metadata as Obj;

  const configMap = ofKind('ConfigMap').find((c) => meta(c).name === 'tollgate-config')!;
  const secret = ofKind('Secret').find((s) => meta(s).name === 'tollgate-secrets')!;
  const configKeys = new Set(Object.keys((configMap.data ?? {})));
  const secretKeys = new Set(Object.keys({ ...((secret.stringData ?? {}) as Obj), ...((secret.data ?? {}) as Obj) }));
  /** Deployments, and the tap's StatefulSet (its spool is a PersistentVolumeClaim). */
  const deployments = [...ofKind('Deployment'), ...ofKind('StatefulSet')];

  const containersOf = (d: Obj): Obj[] => (((d.spec as Obj).template as Obj).spec as Obj).containers as Obj[];
  const envEntries = (c: Obj): Obj[] => (c.env ?? []) as Obj[];

  it('has the Namespace, ConfigMap, example Secret, three Deployments, the tap StatefulSet and their Services', () => {
    expect(ofKind('Namespace').map((n) => meta(n).name)).toEqual(['tollgate']);
    expect(configMap).toBeDefined();
    expect(secret).toBeDefined();
    expect(ofKind('Deployment').map((d) => meta(d).name).sort()).toEqual(['billing', 'dashboard', 'enricher']);
    expect(ofKind('StatefulSet').map((d) => meta(d).name)).toEqual(['tap']);
    expect(ofKind('Service').map((s) => meta(s).name).sort()).toEqual(['billing', 'dashboard', 'enricher', 'tap', 'tap-headless']);
    for (const o of objects) {
      if (o.doc.kind !== 'Namespace') expect(meta(o.doc).namespace, `${rel(o.file)} ${String(o.doc.kind)}`).toBe('tollgate');
    }
  });

  it('kustomization lists existing files, and every manifest but the example Secret', () => {
    const resources = kustomization.resources as string[];
    for (const r of resources) expect(existsSync(join(K8S, r)), r).toBe(true);
    const manifests = files.map((f) => relative(K8S, f)).filter((f) => f !== 'kustomization.yaml' && f !== 'secret.example.yaml');
    expect([...resources].sort()).toEqual(manifests.sort());
    const images = (kustomization.images as Obj[]).map((i) => i.name);
    for (const d of deployments) for (const c of containersOf(d)) expect(images).toContain(String(c.image).split(':')[0]);
  });

  it.each(SERVICES.map((s) => [s.name, s]))('%s: probes, resources, env from existing keys that the code reads', (_n, service) => {
    const d = deployments.find((x) => meta(x).name === service.name)!;
    const [container] = containersOf(d);
    expect(container).toBeDefined();
    const c = container!;
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      const path = ((c[probe] as Obj | undefined)?.httpGet as Obj | undefined)?.path;
      expect(path, `${service.name} ${probe}`).toBeDefined();
      expect(HEALTH_PATHS).toContain(path);
    }
    const startup = ((c.startupProbe as Obj | undefined)?.httpGet as Obj | undefined)?.path;
    if (startup !== undefined) expect(HEALTH_PATHS).toContain(startup);
    const resources = c.resources as Obj;
    expect((resources.requests as Obj).cpu).toBeDefined();
    expect((resources.requests as Obj).memory).toBeDefined();
    expect((resources.limits as Obj).memory).toBeDefined();
    expect(((c.ports as Obj[])[0]!).containerPort).toBe(service.port);
    expect(String(c.image)).toMatch(new RegExp(`^tollgate/${service.name}:`));

    const names: string[] = [];
    for (const entry of envEntries(c)) {
      names.push(String(entry.name));
      const from = entry.valueFrom as Obj | undefined;
      const cmRef = from?.configMapKeyRef as Obj | undefined;
      const secRef = from?.secretKeyRef as Obj | undefined;
      if (cmRef) {
        expect(cmRef.name).toBe('tollgate-config');
        expect(configKeys, `${service.name}: ConfigMap key ${String(cmRef.key)}`).toContain(cmRef.key);
      }
      if (secRef) {
        expect(secRef.name).toBe('tollgate-secrets');
        expect(secretKeys, `${service.name}: Secret key ${String(secRef.key)}`).toContain(secRef.key);
      }
    }
    for (const source of (c.envFrom ?? []) as Obj[]) {
      const ref = (source.configMapRef ?? source.secretRef) as Obj;
      expect(['tollgate-config', 'tollgate-secrets']).toContain(ref.name);
      names.push(...(ref.name === 'tollgate-config' ? configKeys : secretKeys));
    }
    expect(unreadNames(service, names), `env of Deployment ${service.name} read by its code`).toEqual([]);
  });

  it('billing runs exactly one replica with the Recreate strategy', () => {
    const billing = deployments.find((d) => meta(d).name === 'billing')!;
    expect((billing.spec as Obj).replicas).toBe(1);
    expect(((billing.spec as Obj).strategy as Obj).type).toBe('Recreate');
    for (const hpa of ofKind('HorizontalPodAutoscaler')) expect(((hpa.spec as Obj).scaleTargetRef as Obj).name).not.toBe('billing');
  });

  it('tap has 2 replicas; enricher replicas do not exceed the partition count', () => {
    const replicas = (name: string): number => (deployments.find((d) => meta(d).name === name)!.spec as Obj).replicas as number;
    expect(replicas('tap')).toBe(2);
    const partitions = Number((configMap.data as Obj).TAP_TOPIC_PARTITIONS ?? 6);
    expect(replicas('enricher')).toBeLessThanOrEqual(partitions);
    for (const hpa of ofKind('HorizontalPodAutoscaler')) {
      const target = ((hpa.spec as Obj).scaleTargetRef as Obj).name;
      expect(deployments.map((d) => meta(d).name)).toContain(target);
      if (target === 'enricher') expect((hpa.spec as Obj).maxReplicas).toBeLessThanOrEqual(partitions);
    }
  });

  it('every ConfigMap and Secret key is read by the code and used by a Deployment', () => {
    const referenced = new Set(
      deployments.flatMap((d) => containersOf(d).flatMap((c) => envEntries(c).map((e) => {
        const from = e.valueFrom as Obj | undefined;
        return String(((from?.configMapKeyRef ?? from?.secretKeyRef) as { key?: string } | undefined)?.key ?? '');
      }))),
    );
    const pendingNames = new Set(SERVICES.filter((s) => !existsSync(join(ROOT, s.entry))).flatMap((s) => s.pending));
    for (const key of [...configKeys, ...secretKeys]) {
      expect(ALL_READ.has(key) || pendingNames.has(key), `${key} is read by the code`).toBe(true);
      expect(referenced, `${key} is used by a Deployment`).toContain(key);
    }
  });

  it('Services select Deployment pods and target a named container port', () => {
    for (const svc of ofKind('Service')) {
      const selector = (svc.spec as Obj).selector as Obj;
      const d = deployments.find((x) => meta(x).name === String(meta(svc).name).replace(/-headless$/, ''))!;
      const labels = ((((d.spec as Obj).template as Obj).metadata as Obj).labels) as Obj;
      for (const [k, v] of Object.entries(selector)) expect(labels[k]).toBe(v);
      const ports = (svc.spec as Obj).ports as Obj[];
      const named = (containersOf(d)[0]!.ports as Obj[]).map((p) => p.name);
      for (const p of ports) expect(named).toContain(p.targetPort);
    }
  });

  it('the tap is a StatefulSet whose spool (TAP_SPOOL_DIR) is a PersistentVolumeClaim, so a deleted pod loses no acknowledged event', () => {
    const tap = ofKind('StatefulSet').find((s) => meta(s).name === 'tap');
    expect(tap, 'the tap is a StatefulSet').toBeDefined();
    const spec = tap!.spec as Obj;
    const container = containersOf(tap!)[0]!;
    const spoolDir = envEntries(container).find((e) => e.name === 'TAP_SPOOL_DIR')?.value;
    expect(spoolDir, 'TAP_SPOOL_DIR is set').toBeDefined();
    const mount = ((container.volumeMounts ?? []) as Obj[]).find((m) => m.mountPath === spoolDir);
    expect(mount, 'a volume is mounted at TAP_SPOOL_DIR').toBeDefined();
    const claims = ((spec.volumeClaimTemplates ?? []) as Obj[]).map((t) => meta(t).name);
    expect(claims, 'the spool mount is a volumeClaimTemplate').toContain(mount!.name);
    const podVolumes = (((spec.template as Obj).spec as Obj).volumes ?? []) as Obj[];
    expect(podVolumes.find((v) => v.name === mount!.name), 'no pod volume (emptyDir) shadows the claim').toBeUndefined();
    expect(podVolumes.filter((v) => v.emptyDir !== undefined).map((v) => v.name)).not.toContain(mount!.name);
    const headless = ofKind('Service').find((s) => meta(s).name === spec.serviceName);
    expect(headless, 'the StatefulSet\'s serviceName is a Service').toBeDefined();
    expect((headless!.spec as Obj).clusterIP).toBe('None');
    const hpa = ofKind('HorizontalPodAutoscaler').find((h) => ((h.spec as Obj).scaleTargetRef as Obj).name === 'tap');
    if (hpa) expect(((hpa.spec as Obj).scaleTargetRef as Obj).kind).toBe('StatefulSet');
  });

  it('every workload stops within its grace period: SHUTDOWN_TIMEOUT_MS is below terminationGracePeriodSeconds', () => {
    for (const d of deployments) {
      const pod = (d.spec as Obj).template as Obj;
      const grace = Number((pod.spec as Obj).terminationGracePeriodSeconds ?? 30) * 1000;
      const timeout = Number(envEntries(containersOf(d)[0]!).find((e) => e.name === 'SHUTDOWN_TIMEOUT_MS')?.value ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
      expect(timeout, `${String(meta(d).name)}: SHUTDOWN_TIMEOUT_MS under the grace period`).toBeLessThan(grace);
    }
  });

  it('Kafka and ClickHouse are external (referenced by env only)', () => {
    expect(deployments.some((d) => /kafka|clickhouse/i.test(String(meta(d).name)))).toBe(false);
    expect(ofKind('StatefulSet').map((s) => meta(s).name)).toEqual(['tap']);
    expect(String((configMap.data as Obj).KAFKA_BROKERS)).toMatch(/^[^:\s,]+:\d+(,[^:\s,]+:\d+)*$/);
    expect(() => new URL(String((configMap.data as Obj).CLICKHOUSE_URL))).not.toThrow();
  });
});

// ---- gateway configurations ---------------------------------------------------------------------

describe('deploy/gateways', () => {
  const ACCEPTED = ['kong', 'envoy', 'apisix', 'nginx', 'combined', 'ndjson', 'cloudevents'];

  it('the tap serves the formats the configurations may use', () => {
    expect([...tapFormats].sort()).toEqual([...ACCEPTED].sort());
  });

  // Configurations that enforce plans (the gateway asks billing's /v1/authorize) rather than ship
  // logs; checked in 'deploy/gateways: enforcement' below.
  const ENFORCEMENT = [
    'nginx/tollgate-enforce.conf', 'nginx/tollgate-server.conf', 'nginx/tollgate-fail-open.conf', 'nginx/tollgate-fail-closed.conf',
    'envoy/ext-authz.yaml', 'apisix/forward-auth.yaml', 'caddy/Caddyfile', 'traefik/dynamic.yaml',
  ].map((f) => join(GATEWAYS, f));
  const configs = walk(GATEWAYS).filter((f) => !f.endsWith('README.md') && !ENFORCEMENT.includes(f));
  it('every enforcement configuration is listed, and exists', () => {
    for (const file of ENFORCEMENT) expect(existsSync(file), rel(file)).toBe(true);
    const unlisted = walk(GATEWAYS).filter((f) => !ENFORCEMENT.includes(f) && /\/v1\/authorize|tollgate-enforce|forward_?auth|ext_authz/i.test(readFileSync(f, 'utf8').replace(/^\s*#.*$/gm, '')));
    expect(unlisted.map(rel).filter((f) => !f.endsWith('README.md') && !f.endsWith('nginx/nginx.conf'))).toEqual([]);
  });

  it.each(configs.map((f) => [rel(f), f]))('%s posts to /v1/ingest/<its gateway format> on the tap', (_n, file) => {
    const text = readFileSync(file, 'utf8');
    const code = text.replace(/^\s*#.*$/gm, ''); // comments may name the endpoint a shipper uses
    const folder = relative(GATEWAYS, file).split('/')[0]!;
    const endpoints = [...code.matchAll(/\/v1\/ingest\/([A-Za-z0-9_-]+)/g)].map((m) => m[1]!);
    if (file.endsWith('envoy/envoy.yaml') || file.endsWith('.conf')) {
      // The gateway only writes the log; the shipper next to it posts it.
      expect(endpoints).toEqual([]);
      expect(text).toContain(`/v1/ingest/${folder}`);
      return;
    }
    expect(endpoints.length, `${rel(file)} names an ingest endpoint`).toBeGreaterThan(0);
    for (const format of endpoints) {
      expect(tapFormats).toContain(format);
      expect(format).toBe(folder);
    }
    expect(code).toMatch(/Bearer \S+/);
    expect(code).toMatch(/(\/\/tap:8700\/|host: tap\s+port: 8700\s)/);
  });

  it('every gateway folder ships to the tap', () => {
    for (const folder of ['kong', 'envoy', 'apisix', 'nginx']) {
      const texts = walk(join(GATEWAYS, folder)).map((f) => readFileSync(f, 'utf8')).join('\n');
      expect(texts, folder).toContain(`/v1/ingest/${folder}`);
    }
    expect(existsSync(join(GATEWAYS, 'README.md'))).toBe(true);
  });

  it('Kong http-log: endpoint, JSON content type, bearer header, queue', () => {
    const kong = parse(readFileSync(join(GATEWAYS, 'kong/kong.yml'), 'utf8')) as Obj;
    const plugin = (kong.plugins as Obj[]).find((p) => p.name === 'http-log')!;
    const config = plugin.config as Obj;
    expect(config.http_endpoint).toBe('http://tap:8700/v1/ingest/kong');
    expect(config.content_type).toBe('application/json');
    expect(String((config.headers as Obj).Authorization)).toMatch(/^Bearer \S+/);
    expect((config.queue as Obj).max_batch_size).toBeGreaterThan(0);
  });

  it('APISIX http-logger: uri, auth_header, batch_max_size, JSON array batches', () => {
    const text = readFileSync(join(GATEWAYS, 'apisix/apisix.yaml'), 'utf8');
    expect(text.trimEnd().endsWith('#END')).toBe(true);
    const apisix = parse(text) as Obj;
    const logger = ((apisix.global_rules as Obj[])[0]!.plugins as Obj)['http-logger'] as Obj;
    expect(logger.uri).toBe('http://tap:8700/v1/ingest/apisix');
    expect(String(logger.auth_header)).toMatch(/^Bearer \S+/);
    expect(logger.batch_max_size).toBeGreaterThan(0);
    expect(logger.concat_method).toBe('json');
  });

  it('Envoy: Istio-compatible JSON keys the tap reads', () => {
    const text = readFileSync(join(GATEWAYS, 'envoy/envoy.yaml'), 'utf8');
    for (const key of ['start_time', 'method', 'path', 'response_code', 'duration', 'upstream_service_time', 'request_id', 'authority', 'upstream_cluster']) {
      expect(text).toMatch(new RegExp(`^\\s+${key}: "%`, 'm'));
    }
    const vector = parse(readFileSync(join(GATEWAYS, 'envoy/vector.yaml'), 'utf8')) as Obj;
    const sink = (vector.sinks as Record<string, Obj>).tollgate_tap!;
    expect(sink.uri).toBe('http://tap:8700/v1/ingest/envoy');
    expect((sink.framing as Obj).method).toBe('newline_delimited');
  });

  it('NGINX: the log_format is exactly the one documented in the tap', () => {
    const source = readFileSync(join(ROOT, 'services/tap/src/ingest/formats/nginx.ts'), 'utf8');
    const documented = /\/\/\s+(log_format tollgate[\s\S]*?'\}';)/.exec(source)?.[1]?.replace(/^\/\/\s*/gm, '');
    expect(documented).toBeDefined();
    const conf = readFileSync(join(GATEWAYS, 'nginx/tollgate-log.conf'), 'utf8');
    const configured = /^(log_format tollgate[\s\S]*?'\}';)/m.exec(conf)?.[1];
    const squash = (s: string | undefined): string => (s ?? '').replace(/\s+/g, '');
    expect(squash(configured)).toBe(squash(documented));
    // The example logs with it (tollgate-log.conf holds the format; where to write is the server's).
    const example = readFileSync(join(GATEWAYS, 'nginx/nginx.conf'), 'utf8').replace(/^\s*#.*$/gm, '');
    expect(example).toMatch(/include\s+\S+\/tollgate-log\.conf;/);
    expect(example).toMatch(/access_log\s+\S+\s+tollgate;/);
  });
});

describe('deploy/gateways: enforcement', () => {
  const text = (file: string): string => readFileSync(join(GATEWAYS, file), 'utf8');
  const TOLLGATE_HEADERS = ['x-tollgate-consumer', 'x-tollgate-decision'];

  it('NGINX: the example includes the shipped files where they belong, with the keep-alive upstream to billing', () => {
    const conf = text('nginx/nginx.conf').replace(/^\s*#.*$/gm, '');
    expect(conf).toMatch(/upstream tollgate_billing \{[^}]*server \S+;[^}]*keepalive \d+;/);
    expect(conf).toMatch(/set \$tollgate_gateway_token "\S+";/);
    for (const file of ['tollgate-server.conf', 'tollgate-fail-closed.conf', 'tollgate-enforce.conf']) expect(conf).toContain(`/${file};`);
    const server = text('nginx/tollgate-server.conf');
    expect(server).toContain('proxy_pass http://tollgate_billing/v1/authorize$request_uri;');
    for (const line of ['proxy_pass_request_body off;', 'proxy_http_version 1.1;', 'proxy_set_header Connection "";', 'proxy_set_header x-tollgate-gateway nginx;', 'proxy_set_header x-tollgate-gateway-token $tollgate_gateway_token;', 'error_page 500 502 503 504 = @tollgate_billing_unavailable;']) {
      expect(server).toContain(line);
    }
    for (const mode of ['open', 'closed']) expect(text(`nginx/tollgate-fail-${mode}.conf`)).toMatch(/location @tollgate_billing_unavailable \{/);
    const enforce = text('nginx/tollgate-enforce.conf');
    for (const name of ['consumer', 'decision', 'retry_after']) expect(enforce).toMatch(new RegExp(`auth_request_set \\$tollgate_${name} \\$upstream_http_`));
    expect(enforce).toContain('error_page 403 = @tollgate_refused;');
  });

  it('Envoy ext_authz: HTTP service under /v1/authorize on a defined cluster, gateway token, Tollgate headers both ways, before the router', () => {
    const envoy = parse(text('envoy/ext-authz.yaml')) as Obj;
    const resources = envoy.static_resources as Obj;
    const hcm = ((((resources.listeners as Obj[])[0]!.filter_chains as Obj[])[0]!.filters as Obj[])[0]!.typed_config) as Obj;
    const filters = hcm.http_filters as Obj[];
    expect(filters.map((f) => f.name)).toEqual(['envoy.filters.http.ext_authz', 'envoy.filters.http.router']);
    const authz = filters[0]!.typed_config as Obj;
    expect(authz['@type']).toBe('type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz');
    expect(authz.failure_mode_allow).toBe(false);
    const service = authz.http_service as Obj;
    expect(service.path_prefix).toBe('/v1/authorize');
    const cluster = (service.server_uri as Obj).cluster;
    expect((resources.clusters as Obj[]).map((c) => c.name)).toContain(cluster);
    expect(((service.authorization_request as Obj).headers_to_add as Obj[]).map((h) => h.key)).toContain('x-tollgate-gateway-token');
    const response = service.authorization_response as Obj;
    const exact = (list: unknown) => ((list as Obj).patterns as Obj[]).map((p) => p.exact);
    expect(exact(response.allowed_upstream_headers)).toEqual(expect.arrayContaining(TOLLGATE_HEADERS));
    expect(exact(response.allowed_client_headers)).toEqual(expect.arrayContaining(['retry-after', 'x-tollgate-decision']));
    expect(exact(authz.allowed_headers)).toEqual(expect.arrayContaining(['x-api-key', 'apikey']));
  });

  it('APISIX forward-auth: /v1/authorize, gateway token, Tollgate headers both ways, fail closed', () => {
    const source = text('apisix/forward-auth.yaml');
    expect(source.trimEnd().endsWith('#END')).toBe(true);
    const route = ((parse(source) as Obj).routes as Obj[])[0]!;
    const auth = (route.plugins as Obj)['forward-auth'] as Obj;
    expect(new URL(String(auth.uri)).pathname).toBe('/v1/authorize');
    expect(Object.keys(auth.extra_headers as Obj)).toContain('x-tollgate-gateway-token');
    expect(auth.upstream_headers).toEqual(expect.arrayContaining(TOLLGATE_HEADERS));
    expect(auth.client_headers).toEqual(expect.arrayContaining(['retry-after', 'x-tollgate-decision']));
    expect(auth.request_headers).toEqual(expect.arrayContaining(['x-api-key', 'apikey']));
    expect(auth.allow_degradation).toBe(false);
  });

  it('Traefik forwardAuth: /v1/authorize, the token added before and removed after, the consumer kept', () => {
    const http = (parse(text('traefik/dynamic.yaml')) as Obj).http as Obj;
    const middlewares = http.middlewares as Record<string, Obj>;
    const chain = ((http.routers as Record<string, Obj>).api!.middlewares as string[]).map((name) => middlewares[name]!);
    expect(chain.map((m) => Object.keys(m)[0])).toEqual(['headers', 'forwardAuth', 'headers']);
    const auth = chain[1]!.forwardAuth as Obj;
    expect(new URL(String(auth.address)).pathname).toBe('/v1/authorize');
    expect(auth.trustForwardHeader).toBe(false);
    expect(auth.authResponseHeaders).toEqual(expect.arrayContaining(TOLLGATE_HEADERS));
    const headers = (m: Obj) => (m.headers as Obj).customRequestHeaders as Obj;
    expect(String(headers(chain[0]!)['x-tollgate-gateway-token'])).toMatch(/\S{16,}/);
    expect(headers(chain[0]!)['x-consumer-id']).toBe('');
    expect(headers(chain[2]!)['x-tollgate-gateway-token']).toBe('');
  });

  it('Caddy forward_auth: `caddy adapt` accepts the Caddyfile; the consumer header is dropped, then decided, then proxied', () => {
    const caddy = process.env.CADDY_BIN ?? '/usr/bin/caddy';
    const adapted = JSON.parse(execFileSync(caddy, ['adapt', '--config', join(GATEWAYS, 'caddy/Caddyfile'), '--adapter', 'caddyfile'], {
      env: { ...process.env, TOLLGATE_GATEWAY_TOKEN: 'gateway-token-0123456789' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })) as Obj;
    const server = Object.values(((adapted.apps as Obj).http as Obj).servers as Record<string, Obj>)[0]!;
    const subroute = (((server.routes as Obj[])[0]!.handle as Obj[])[0]!.routes as Obj[]).map((r) => (r.handle as Obj[])[0]!);
    expect(subroute.map((h) => h.handler)).toEqual(['headers', 'reverse_proxy', 'reverse_proxy']);
    expect((subroute[0]!.request as Obj).delete).toEqual(['X-Consumer-Id']);
    const auth = subroute[1]!;
    expect(auth.rewrite).toEqual({ method: 'GET', uri: '/v1/authorize' });
    expect(((auth.headers as Obj).request as Obj).set).toMatchObject({ 'X-Tollgate-Gateway-Token': ['gateway-token-0123456789'] });
    expect(JSON.stringify(auth.handle_response)).toContain('"X-Consumer-Id":["{http.reverse_proxy.header.X-Tollgate-Consumer}"]');
  });
});

describe('deploy/README.md', () => {
  it('covers compose, Kubernetes, the move to real Kafka / ClickHouse (cluster) and live Stripe', () => {
    const text = readFileSync(join(DEPLOY, 'README.md'), 'utf8');
    for (const needle of ['docker compose', 'kubectl', 'KAFKA_BROKERS', 'CLICKHOUSE_URL', 'CLICKHOUSE_CLUSTER', 'STRIPE_SECRET_KEY', 'Strimzi']) {
      expect(text).toContain(needle);
    }
  });

  it('every deploy file is a known kind', () => {
    for (const f of deployFiles) {
      expect(statSync(f).isFile()).toBe(true);
      expect(rel(f)).toMatch(/\.(ya?ml|md|conf|Dockerfile|dockerignore|example)$|^deploy\/build\/bundle\.mjs$|^deploy\/gateways\/caddy\/Caddyfile$/);
    }
  });
});
