/**
 * Checks the Kubernetes manifests in deploy/ without a cluster:
 *  - every YAML file parses the way Kubernetes parses it (YAML 1.1, so `off`/`yes` are booleans);
 *  - every object validates against the Kubernetes OpenAPI schemas shipped (precompiled, offline)
 *    by the `kubernetes-models` package;
 *  - the objects agree with each other, with the Dockerfile and with the server's own
 *    configuration rules (labels/selectors, probes, security context, shutdown timing, ...).
 * The last block feeds deliberately broken copies through the same checks to prove they bite.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import { Secret, type ISecret } from 'kubernetes-models/v1/Secret';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { Ingress, type IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import {
  HorizontalPodAutoscaler,
  type IHorizontalPodAutoscaler,
} from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { loadAppConfig } from '../../src/config/app-config.js';
import { ConfigurationError } from '../../src/config/environment.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY_DIR = join(ROOT, 'deploy');
const KUSTOMIZATION = 'kustomization.yaml';
/** Files that document a shape but must never be applied (kustomization must not list them). */
const isExample = (file: string): boolean => /\.example\.ya?ml$/.test(file);

const APP = 'nest-mcp-oauth';
const CONTAINER = APP;
const REQUIRED_LABELS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/component',
  'app.kubernetes.io/part-of',
];
const CLERK_SECRET_KEYS = ['CLERK_SECRET_KEY', 'CLERK_PUBLISHABLE_KEY'];

// ---------------------------------------------------------------------------------------------
// Loading

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

interface Manifest {
  file: string;
  object: KubeObject;
}

interface Kustomization {
  apiVersion?: unknown;
  kind?: unknown;
  resources?: unknown;
  [field: string]: unknown;
}

interface DeploySet {
  /** Every YAML file name in deploy/. */
  files: string[];
  manifests: Manifest[];
  kustomization: Kustomization;
}

/** Parses like Kubernetes (sigs.k8s.io/yaml speaks YAML 1.1); duplicate keys and any warning are errors. */
function parseYaml(text: string, file: string): unknown[] {
  const documents = parseAllDocuments(text, { version: '1.1', uniqueKeys: true, prettyErrors: true });
  if (!Array.isArray(documents)) return [];
  return documents.flatMap((document) => {
    const issues = [...document.errors, ...document.warnings];
    if (issues.length > 0) throw new Error(`${file}: ${issues.map((issue) => issue.message).join('\n')}`);
    const value: unknown = document.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

function loadDeploySet(): DeploySet {
  const files = readdirSync(DEPLOY_DIR)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort();
  const manifests: Manifest[] = [];
  let kustomization: Kustomization = {};
  for (const file of files) {
    const documents = parseYaml(readFileSync(join(DEPLOY_DIR, file), 'utf8'), file);
    if (file === KUSTOMIZATION) {
      if (documents.length !== 1) throw new Error(`${file}: expected exactly one document`);
      kustomization = documents[0] as Kustomization;
      continue;
    }
    for (const object of documents) manifests.push({ file, object: object as KubeObject });
  }
  return { files, manifests, kustomization };
}

// ---------------------------------------------------------------------------------------------
// Schema validation

interface Validatable {
  validate(): void;
}
type ModelClass = (new (data: never) => Validatable) & { apiVersion: string; kind: string };

/** The only kinds deploy/ may contain; anything else fails rather than going unvalidated. */
const MODELS = new Map<string, ModelClass>(
  [ConfigMap, Secret, Service, Deployment, Ingress, HorizontalPodAutoscaler, PodDisruptionBudget].map((model) => [
    `${model.apiVersion}/${model.kind}`,
    model as unknown as ModelClass,
  ]),
);

const TOP_LEVEL_FIELDS = new Set([
  'apiVersion',
  'kind',
  'metadata',
  'spec',
  'data',
  'stringData',
  'binaryData',
  'type',
  'immutable',
]);

function schemaProblems(manifest: Manifest): string[] {
  const { file, object } = manifest;
  if (typeof object !== 'object' || object === null || Array.isArray(object))
    return [`${file}: a document is not an object`];
  const id = `${file} ${object.kind}/${object.metadata?.name ?? '?'}`;
  const Model = MODELS.get(`${object.apiVersion}/${object.kind}`);
  if (!Model)
    return [
      `${id}: apiVersion ${object.apiVersion} kind ${object.kind} is not one this test validates (${[...MODELS.keys()].join(', ')})`,
    ];
  const problems: string[] = [];
  // The OpenAPI schemas allow unknown fields (the API server drops or, with strict validation,
  // refuses them), so at least catch misspelt top-level fields here.
  for (const field of Object.keys(object))
    if (!TOP_LEVEL_FIELDS.has(field)) problems.push(`${id}: unknown top-level field "${field}"`);
  try {
    new Model(object as never).validate();
  } catch (error) {
    problems.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Cross-object invariants

const objectsOf = <T>(set: DeploySet, kind: string): T[] =>
  set.manifests.filter((m) => m.object.kind === kind).map((m) => m.object as unknown as T);

/** A selector selects a label set when it is non-empty and each of its pairs is in the set. */
function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const pairs = Object.entries(selector ?? {});
  return pairs.length > 0 && pairs.every(([key, value]) => labels?.[key] === value);
}

/** CPU in millicores, memory in bytes; enough of the Kubernetes quantity syntax for these files. */
function quantity(value: string | number | undefined): number {
  if (value === undefined) return Number.NaN;
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(value));
  if (!match) return Number.NaN;
  const factors: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(match[1]) * (match[2] ? factors[match[2]] : 1);
}

function probeProblems(name: string, probe: IProbe | undefined, path: string): string[] {
  if (!probe) return [`Deployment: ${name} is missing`];
  const get = probe.httpGet;
  if (get?.path !== path || get.port !== 'http' || (get.scheme !== undefined && get.scheme !== 'HTTP')) {
    return [
      `Deployment: ${name} must be an HTTP GET of ${path} on the port named http (got ${JSON.stringify(get ?? probe)})`,
    ];
  }
  return [];
}

/** Seconds the preStop hook delays SIGTERM. */
function preStopSeconds(container: IContainer): number | string {
  const hook = container.lifecycle?.preStop;
  if (!hook) return 0;
  if (hook.sleep) return hook.sleep.seconds;
  const command = hook.exec?.command ?? [];
  if (command.length === 2 && /(^|\/)sleep$/.test(command[0]) && /^\d+$/.test(command[1])) return Number(command[1]);
  return `cannot tell how long the preStop hook ${JSON.stringify(hook)} takes`;
}

function dockerfile(): string {
  return readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
}

/** NODE_OPTIONS as the image sets it (ENV in the runtime stage), quoted or not. */
function imageNodeOptions(): string | undefined {
  const match = /^\s*NODE_OPTIONS=(?:"([^"]*)"|(\S+))/m.exec(dockerfile());
  return match?.[1] ?? match?.[2];
}

/** The NODE_OPTIONS a container runs with: its own, else the image's. */
function nodeOptionsOf(container: IContainer): string {
  return container.env?.find((variable) => variable.name === 'NODE_OPTIONS')?.value ?? imageNodeOptions() ?? '';
}

/**
 * V8's old space must follow the container's memory limit and stay well inside it: either a share of
 * it (--max-old-space-size-percentage, which Node 24 reads from the cgroup) or a fixed size below it.
 * Without either, V8 sizes the heap from its own heuristics and a hostile burst ends in an OOM kill.
 */
function heapProblems(container: IContainer): string[] {
  const nodeOptions = nodeOptionsOf(container);
  const share = /--max-old-space-size-percentage=(\d+(?:\.\d+)?)%?/.exec(nodeOptions);
  const fixed = /--max-old-space-size=(\d+)/.exec(nodeOptions);
  const limit = quantity(container.resources?.limits?.memory);
  if (share) {
    const percent = Number(share[1]);
    if (percent >= 25 && percent <= 80) return [];
    return [`Deployment: --max-old-space-size-percentage=${percent} must be 25 to 80, leaving room for the rest`];
  }
  if (fixed && Number(fixed[1]) * 2 ** 20 < 0.85 * limit) return [];
  if (fixed) return ['Deployment: --max-old-space-size must stay well below the memory limit'];
  const shown = JSON.stringify(nodeOptions);
  return [`Deployment: NODE_OPTIONS (${shown}) must bound the heap by the memory limit (a heap size percentage)`];
}

/**
 * The young generation must be sized on purpose: under a 512Mi limit V8 picks 1 MiB semi-spaces, and
 * collecting that often cost the server about 45% more CPU per tool call. Its three semi-spaces' worth
 * must still fit, with the old space, well inside the limit.
 */
function youngGenerationProblems(container: IContainer): string[] {
  const nodeOptions = nodeOptionsOf(container);
  const semiSpace = /--max-semi-space-size=(\d+)/.exec(nodeOptions);
  if (!semiSpace) return ['Deployment: NODE_OPTIONS must set --max-semi-space-size (V8 picks 1 MiB under 512Mi)'];
  const semiSpaceMiB = Number(semiSpace[1]);
  if (semiSpaceMiB < 4) return [`Deployment: --max-semi-space-size=${semiSpaceMiB} is too small to spare the CPU`];
  const limit = quantity(container.resources?.limits?.memory);
  const share = /--max-old-space-size-percentage=(\d+(?:\.\d+)?)%?/.exec(nodeOptions);
  const fixed = /--max-old-space-size=(\d+)/.exec(nodeOptions);
  const oldSpace = share ? (Number(share[1]) / 100) * limit : Number(fixed?.[1] ?? 0) * 2 ** 20;
  if (oldSpace + 3 * semiSpaceMiB * 2 ** 20 <= 0.85 * limit) return [];
  return [`Deployment: --max-semi-space-size=${semiSpaceMiB} leaves the heap no room inside the memory limit`];
}

function invariantProblems(set: DeploySet): string[] {
  const problems: string[] = [];
  const fail = (message: string): void => void problems.push(message);

  // --- Every object ----------------------------------------------------------------------------
  const seen = new Set<string>();
  for (const { file, object } of set.manifests) {
    const id = `${file} ${object.kind}/${object.metadata?.name ?? '?'}`;
    if (!object.metadata?.name) fail(`${id}: metadata.name is missing`);
    if (object.metadata?.namespace)
      fail(`${id}: sets metadata.namespace; leave the namespace to kubectl -n or an overlay`);
    const key = `${object.kind}/${object.metadata?.name}`;
    if (seen.has(key)) fail(`${id}: defined twice`);
    seen.add(key);
    const labels = object.metadata?.labels ?? {};
    for (const label of REQUIRED_LABELS) if (!labels[label]) fail(`${id}: label ${label} is missing`);
    if (labels['app.kubernetes.io/name'] !== APP) fail(`${id}: label app.kubernetes.io/name must be ${APP}`);
  }

  const configMaps = objectsOf<IConfigMap>(set, 'ConfigMap');
  const secrets = objectsOf<ISecret>(set, 'Secret');
  const deployments = objectsOf<IDeployment>(set, 'Deployment');
  const services = objectsOf<IService>(set, 'Service');
  const ingresses = objectsOf<IIngress>(set, 'Ingress');
  const hpas = objectsOf<IHorizontalPodAutoscaler>(set, 'HorizontalPodAutoscaler');
  const pdbs = objectsOf<IPodDisruptionBudget>(set, 'PodDisruptionBudget');
  for (const [kind, list] of Object.entries({
    ConfigMap: configMaps,
    Secret: secrets,
    Deployment: deployments,
    Service: services,
    Ingress: ingresses,
    HorizontalPodAutoscaler: hpas,
    PodDisruptionBudget: pdbs,
  })) {
    if (list.length !== 1) fail(`expected exactly one ${kind} in deploy/, found ${list.length}`);
  }
  const [configMap, secret, deployment, service, ingress, hpa, pdb] = [
    configMaps[0],
    secrets[0],
    deployments[0],
    services[0],
    ingresses[0],
    hpas[0],
    pdbs[0],
  ];
  if (!configMap || !secret || !deployment || !service || !ingress || !hpa || !pdb) return problems;
  const config = configMap.data ?? {};

  // --- Deployment ------------------------------------------------------------------------------
  const spec = deployment.spec;
  const pod = spec?.template.spec;
  const podLabels = spec?.template.metadata?.labels;
  if (!spec || !pod) return [...problems, 'Deployment: spec.template.spec is missing'];
  if (!selects(spec.selector.matchLabels, podLabels))
    fail('Deployment: spec.selector.matchLabels must select the pod template labels');
  if (spec.selector.matchExpressions?.length) fail('Deployment: use matchLabels only in spec.selector');
  if (spec.selector.matchLabels?.['app.kubernetes.io/version'])
    fail('Deployment: the selector is immutable and must not contain the version label');
  if ((spec.replicas ?? 1) < 2) fail('Deployment: spec.replicas must be at least 2');
  const rolling = spec.strategy?.rollingUpdate;
  if (spec.strategy?.type !== 'RollingUpdate' || rolling?.maxUnavailable !== 0 || rolling.maxSurge !== 1) {
    fail('Deployment: strategy must be RollingUpdate with maxUnavailable 0 and maxSurge 1');
  }
  if (pod.automountServiceAccountToken !== false) fail('Deployment: automountServiceAccountToken must be false');

  const spread = (pod.topologySpreadConstraints ?? []).some(
    (constraint) =>
      constraint.topologyKey === 'kubernetes.io/hostname' && selects(constraint.labelSelector?.matchLabels, podLabels),
  );
  const antiAffinity = [
    ...(pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map(
      (term) => term.podAffinityTerm,
    ),
  ].some(
    (term) => term.topologyKey === 'kubernetes.io/hostname' && selects(term.labelSelector?.matchLabels, podLabels),
  );
  if (!spread && !antiAffinity)
    fail(
      'Deployment: replicas must be spread across nodes (topologySpreadConstraints or podAntiAffinity on kubernetes.io/hostname selecting the pods)',
    );

  const podSecurity = pod.securityContext ?? {};
  for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
    const id = `Deployment container ${container.name}`;
    if (!container.image) fail(`${id}: image is missing`);
    else if (
      !/(:[\w][\w.-]*|@sha256:[0-9a-f]{64})$/.test(container.image.replace(/^[^/]*\//, '')) ||
      container.image.endsWith(':latest')
    ) {
      fail(`${id}: image ${container.image} must carry a fixed tag or digest (not :latest)`);
    }
    const security = container.securityContext ?? {};
    const runAsNonRoot = security.runAsNonRoot ?? podSecurity.runAsNonRoot;
    const runAsUser = security.runAsUser ?? podSecurity.runAsUser;
    const seccomp = security.seccompProfile?.type ?? podSecurity.seccompProfile?.type;
    if (runAsNonRoot !== true) fail(`${id}: runAsNonRoot must be true`);
    if (runAsUser === undefined || runAsUser === 0) fail(`${id}: runAsUser must be set to a non-zero uid`);
    if (security.readOnlyRootFilesystem !== true) fail(`${id}: readOnlyRootFilesystem must be true`);
    if (security.allowPrivilegeEscalation !== false) fail(`${id}: allowPrivilegeEscalation must be false`);
    if (security.privileged === true) fail(`${id}: must not be privileged`);
    if (!security.capabilities?.drop?.includes('ALL')) fail(`${id}: capabilities must drop ALL`);
    if (security.capabilities?.add?.length) fail(`${id}: must not add capabilities`);
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') fail(`${id}: seccompProfile must be RuntimeDefault`);

    const resources = container.resources;
    for (const kind of ['requests', 'limits'] as const) {
      for (const resource of ['cpu', 'memory']) {
        if (Number.isNaN(quantity(resources?.[kind]?.[resource])))
          fail(`${id}: resources.${kind}.${resource} must be set`);
      }
    }
    for (const resource of ['cpu', 'memory']) {
      if (quantity(resources?.requests?.[resource]) > quantity(resources?.limits?.[resource]))
        fail(`${id}: ${resource} request exceeds its limit`);
    }

    for (const source of container.envFrom ?? []) {
      if (source.configMapRef && !configMaps.some((item) => item.metadata?.name === source.configMapRef?.name)) {
        fail(`${id}: envFrom configMapRef ${source.configMapRef.name} names no ConfigMap in deploy/`);
      }
      if (source.secretRef && !secrets.some((item) => item.metadata?.name === source.secretRef?.name)) {
        fail(`${id}: envFrom secretRef ${source.secretRef.name} names no Secret in deploy/`);
      }
    }
    for (const variable of container.env ?? []) {
      const fromConfigMap = variable.valueFrom?.configMapKeyRef;
      const fromSecret = variable.valueFrom?.secretKeyRef;
      if (
        fromConfigMap &&
        configMaps.find((item) => item.metadata?.name === fromConfigMap.name)?.data?.[fromConfigMap.key] === undefined
      ) {
        fail(
          `${id}: env ${variable.name} refers to a missing ConfigMap key ${fromConfigMap.name}/${fromConfigMap.key}`,
        );
      }
      if (
        fromSecret &&
        !secrets.some(
          (item) => item.metadata?.name === fromSecret.name && fromSecret.key in { ...item.data, ...item.stringData },
        )
      ) {
        fail(`${id}: env ${variable.name} refers to a missing Secret key ${fromSecret.name}/${fromSecret.key}`);
      }
    }
  }

  const app = pod.containers.find((container) => container.name === CONTAINER);
  if (!app) return [...problems, `Deployment: no container named ${CONTAINER}`];
  const httpPort = app.ports?.find((port) => port.name === 'http');
  const expectedPort = Number(config.PORT ?? 3000);
  if (httpPort?.containerPort !== expectedPort)
    fail(`Deployment: the container must expose port ${expectedPort} (the app's PORT) named http`);
  problems.push(...probeProblems('livenessProbe', app.livenessProbe, '/healthz'));
  problems.push(...probeProblems('readinessProbe', app.readinessProbe, '/readyz'));
  problems.push(...probeProblems('startupProbe', app.startupProbe, '/healthz'));

  const tmp = app.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
  if (!tmp || !pod.volumes?.some((volume) => volume.name === tmp.name && volume.emptyDir))
    fail('Deployment: /tmp must be an emptyDir (the root filesystem is read-only)');

  problems.push(...heapProblems(app), ...youngGenerationProblems(app));

  // Shutdown: the kubelet counts the preStop hook inside terminationGracePeriodSeconds, then
  // sends SIGTERM; the app then drains for up to SHUTDOWN_GRACE_SECONDS before SIGKILL comes.
  const drain = Number(config.SHUTDOWN_GRACE_SECONDS);
  const preStop = preStopSeconds(app);
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  if (!Number.isInteger(drain)) fail('ConfigMap: SHUTDOWN_GRACE_SECONDS must be a whole number of seconds');
  else if (typeof preStop === 'string') fail(`Deployment: ${preStop}`);
  else if (!(grace > drain + preStop)) {
    fail(
      `Deployment: terminationGracePeriodSeconds (${grace}) must exceed SHUTDOWN_GRACE_SECONDS (${drain}) + preStop (${preStop})`,
    );
  }
  if (app.lifecycle?.preStop?.exec && /distroless/.test(dockerfile()))
    fail('Deployment: preStop runs sleep, which a distroless image lacks');

  // --- Service ---------------------------------------------------------------------------------
  if ((service.spec?.type ?? 'ClusterIP') !== 'ClusterIP') fail('Service: type must be ClusterIP');
  if (!selects(service.spec?.selector, podLabels)) fail('Service: spec.selector must select the Deployment pod labels');
  const servicePort = service.spec?.ports?.find((port) => port.name === 'http');
  if (servicePort?.port !== 80) fail('Service: port 80 named http is missing');
  else if (servicePort.targetPort !== 'http' && servicePort.targetPort !== httpPort?.containerPort)
    fail('Service: port 80 must target the container port named http');

  // --- Ingress ---------------------------------------------------------------------------------
  const annotations = ingress.metadata?.annotations ?? {};
  if (annotations['nginx.ingress.kubernetes.io/proxy-buffering'] !== 'off')
    fail('Ingress: proxy buffering must be off for streaming (SSE) responses');
  if (!(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']) >= 300))
    fail('Ingress: proxy-read-timeout must be at least 300 seconds for long streams');
  let publicHost: string | undefined;
  try {
    publicHost = new URL(config.PUBLIC_BASE_URL ?? '').hostname;
  } catch {
    fail('ConfigMap: PUBLIC_BASE_URL is not a URL');
  }
  const rules = ingress.spec?.rules ?? [];
  if (!rules.some((rule) => rule.host === publicHost))
    fail(`Ingress: no rule for the host of PUBLIC_BASE_URL (${publicHost})`);
  if (!ingress.spec?.tls?.some((tls) => tls.hosts?.includes(publicHost ?? '') && tls.secretName))
    fail(`Ingress: TLS must cover ${publicHost}`);
  for (const path of rules.flatMap((rule) => rule.http?.paths ?? [])) {
    const backend = path.backend.service;
    const wanted = backend?.port;
    if (!backend || backend.name !== service.metadata?.name)
      fail(`Ingress: path ${path.path} must route to Service ${service.metadata?.name}`);
    else if (
      !wanted ||
      !service.spec?.ports?.some(
        (port) => (wanted.name !== undefined && port.name === wanted.name) || port.port === wanted.number,
      )
    ) {
      fail(`Ingress: path ${path.path} names a port the Service lacks`);
    }
  }
  const prefixes = rules
    .flatMap((rule) => rule.http?.paths ?? [])
    .filter((path) => path.pathType === 'Prefix')
    .map((path) => path.path);
  for (const needed of [config.MCP_PATH, '/.well-known'])
    if (!prefixes.includes(needed) && !prefixes.includes('/'))
      fail(`Ingress: ${needed} (Prefix) must reach the server`);
  if (prefixes.includes('/'))
    fail(
      'Ingress: do not route the whole host (/ Prefix): /metrics, /healthz and /readyz must stay inside the cluster',
    );
  const maxReplicas = Math.max(spec.replicas ?? 1, hpa.spec?.maxReplicas ?? 1);
  if (
    config.MCP_SESSION_MODE === 'stateful' &&
    maxReplicas > 1 &&
    !annotations['nginx.ingress.kubernetes.io/affinity']
  ) {
    fail('Ingress: MCP_SESSION_MODE=stateful with more than one replica needs session affinity');
  }

  // --- HPA and PDB -----------------------------------------------------------------------------
  const target = hpa.spec?.scaleTargetRef;
  if (target?.apiVersion !== 'apps/v1' || target.kind !== 'Deployment' || target.name !== deployment.metadata?.name)
    fail('HPA: scaleTargetRef must be the Deployment');
  if ((hpa.spec?.minReplicas ?? 1) < 2 || (hpa.spec?.maxReplicas ?? 0) < (hpa.spec?.minReplicas ?? 1))
    fail('HPA: needs minReplicas >= 2 and maxReplicas >= minReplicas');
  const cpu = hpa.spec?.metrics?.find((metric) => metric.type === 'Resource' && metric.resource?.name === 'cpu');
  if (cpu?.resource?.target.type !== 'Utilization' || !cpu.resource.target.averageUtilization)
    fail('HPA: needs a CPU utilization target');
  if (!selects(pdb.spec?.selector?.matchLabels, podLabels))
    fail('PDB: spec.selector.matchLabels must select the Deployment pod labels');
  if (pdb.spec?.selector?.matchExpressions?.length) fail('PDB: use matchLabels only');
  const minAvailable = pdb.spec?.minAvailable;
  if (
    typeof minAvailable !== 'number' ||
    minAvailable < 1 ||
    minAvailable >= (hpa.spec?.minReplicas ?? spec.replicas ?? 1)
  ) {
    fail('PDB: minAvailable must be a number >= 1 and below the smallest replica count, or node drains block');
  }

  // --- ConfigMap and Secret ----------------------------------------------------------------------
  for (const key of CLERK_SECRET_KEYS) {
    if (key in config) fail(`ConfigMap: ${key} is a secret and belongs in the Secret`);
    if (!(key in { ...secret.data, ...secret.stringData })) fail(`Secret: ${key} is missing`);
  }
  // The server itself must accept the ConfigMap (with well-formed Clerk keys supplied) ...
  const wellFormedKeys = {
    CLERK_SECRET_KEY: 'sk_live_placeholder',
    CLERK_PUBLISHABLE_KEY: `pk_live_${Buffer.from('clerk.example.com$').toString('base64')}`,
  };
  try {
    const loaded = loadAppConfig({ ...config, ...wellFormedKeys });
    if (!loaded.server.isProduction) fail('ConfigMap: NODE_ENV must be production');
  } catch (error) {
    fail(`ConfigMap: the server refuses this configuration: ${error instanceof Error ? error.message : String(error)}`);
  }
  // ... refuse to start without the Secret's keys (no silent fallback to another auth provider) ...
  try {
    loadAppConfig({ ...config });
    fail('ConfigMap: the server starts without the Clerk keys; it must fail closed (AUTH_PROVIDER=clerk)');
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
  }
  // ... and refuse the example Secret's placeholders, so a forgotten placeholder stops the pod at boot.
  try {
    loadAppConfig({ ...config, ...secret.stringData });
    fail('Secret: the example values are accepted as real Clerk keys; use obvious placeholders');
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
  }

  // --- Kustomization -------------------------------------------------------------------------------
  const kustomization = set.kustomization;
  if (kustomization.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || kustomization.kind !== 'Kustomization')
    fail(`${KUSTOMIZATION}: not a kustomize.config.k8s.io/v1beta1 Kustomization`);
  const resources = Array.isArray(kustomization.resources) ? kustomization.resources.map(String) : [];
  if (new Set(resources).size !== resources.length) fail(`${KUSTOMIZATION}: lists a file twice`);
  for (const file of set.files) {
    if (file === KUSTOMIZATION) continue;
    if (isExample(file) && resources.includes(file))
      fail(`${KUSTOMIZATION}: must not list ${file}: applying it would overwrite the real values`);
    if (!isExample(file) && !resources.includes(file)) fail(`${KUSTOMIZATION}: does not list ${file}`);
  }
  for (const file of resources)
    if (!set.files.includes(file)) fail(`${KUSTOMIZATION}: lists ${file}, which is not in deploy/`);

  return problems;
}

/** Everything wrong with a set of manifests; empty when it is fine. */
function problemsIn(set: DeploySet): string[] {
  const schema = set.manifests.flatMap(schemaProblems);
  // Objects that fail their schema cannot be trusted to have the shapes the invariants read.
  return schema.length > 0 ? schema : invariantProblems(set);
}

// ---------------------------------------------------------------------------------------------

const deploySet = loadDeploySet();
const kinds = deploySet.manifests.map((manifest) => manifest.object.kind);
const manifestOf = (set: DeploySet, kind: string): KubeObject =>
  set.manifests.find((manifest) => manifest.object.kind === kind)!.object;
const appContainer = (set: DeploySet): IContainer =>
  (manifestOf(set, 'Deployment') as unknown as IDeployment).spec!.template.spec!.containers.find(
    (container) => container.name === CONTAINER,
  )!;

describe('deploy/ manifests', () => {
  it('holds one object of each expected kind', () => {
    expect([...kinds].sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Ingress',
      'PodDisruptionBudget',
      'Secret',
      'Service',
    ]);
    expect(deploySet.files).toContain(KUSTOMIZATION);
  });

  it.each(deploySet.manifests.map((manifest) => [`${manifest.file} (${manifest.object.kind})`, manifest] as const))(
    '%s validates against the Kubernetes OpenAPI schema',
    (_name, manifest) => {
      expect(schemaProblems(manifest)).toEqual([]);
    },
  );

  it('objects agree with each other, the Dockerfile and the server configuration rules', () => {
    expect(invariantProblems(deploySet)).toEqual([]);
  });

  it('pins the values the platform team expects', () => {
    const deployment = manifestOf(deploySet, 'Deployment') as unknown as IDeployment;
    const container = appContainer(deploySet);
    expect(deployment.spec?.replicas).toBe(2);
    expect(container.image).toBe('ghcr.io/example/nest-mcp-oauth:0.1.0');
    expect(container.lifecycle?.preStop?.exec?.command).toEqual(['sleep', '5']);
    expect(container.securityContext?.runAsUser ?? deployment.spec?.template.spec?.securityContext?.runAsUser).toBe(
      1000,
    );
    expect((manifestOf(deploySet, 'ConfigMap') as unknown as IConfigMap).data).toMatchObject({
      NODE_ENV: 'production',
      PUBLIC_BASE_URL: 'https://mcp.example.com',
      MCP_PATH: '/mcp',
      MCP_SCOPES: 'profile email',
      AUTH_AUDIENCE_MODE: 'when-present',
      LOG_LEVEL: 'log',
      SHUTDOWN_GRACE_SECONDS: '25',
    });
    const hpa = manifestOf(deploySet, 'HorizontalPodAutoscaler') as unknown as IHorizontalPodAutoscaler;
    expect([hpa.spec?.minReplicas, hpa.spec?.maxReplicas]).toEqual([2, 10]);
    expect((manifestOf(deploySet, 'PodDisruptionBudget') as unknown as IPodDisruptionBudget).spec?.minAvailable).toBe(
      1,
    );
    expect((manifestOf(deploySet, 'Ingress') as unknown as IIngress).spec?.ingressClassName).toBe('nginx');
  });

  it('the Dockerfile runs what the Deployment expects', () => {
    const text = dockerfile();
    const container = appContainer(deploySet);
    const port = container.ports?.find((item) => item.name === 'http')?.containerPort;
    expect(text).toMatch(new RegExp(`^EXPOSE ${port}$`, 'm'));
    expect(text).toMatch(new RegExp(`PORT=${port}\\b`));
    expect(text).toMatch(/HOST=0\.0\.0\.0\b/);
    expect(text).toMatch(/^USER node$/m); // uid 1000 in the official Node images = runAsUser
    expect(text).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
    expect(text).toMatch(/^STOPSIGNAL SIGTERM$/m);
    expect(text).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
    expect(text).toMatch(/npm ci --omit=dev/);
    // The build stage compiles with the image's node: `npm run build` would put node_modules/.bin first on PATH,
    // where the pinned `node` dev dependency, installed with --ignore-scripts, has no working binary.
    expect(text).not.toMatch(/^RUN .*npm run build/m);
    expect(text).toMatch(/^RUN node node_modules\/typescript\/bin\/tsc -p tsconfig\.build\.json$/m);
    // The heap follows the container's memory limit, the same in the image and the Deployment.
    expect(imageNodeOptions()).toBe('--max-old-space-size-percentage=75 --max-semi-space-size=8');
    expect(container.env?.find((variable) => variable.name === 'NODE_OPTIONS')?.value).toBe(imageNodeOptions());
    // The health check probes the container's own address: a server on loopback only is unreachable from outside.
    expect(/^HEALTHCHECK [\s\S]*?^\s*CMD (.*)$/m.exec(text)?.[1]).toMatch(/networkInterfaces\(\).*!i\.internal/);
    // The embedded server's default state folder exists and belongs to the user the server runs as.
    expect(text).toMatch(/^RUN mkdir \/app\/\.data && chown node:node \/app\/\.data/m);
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim());
    for (const entry of ['node_modules', 'dist', '.git', '.env', 'coverage', 'test', '*.log', '.ci', 'deploy'])
      expect(ignored).toContain(entry);
  });

  it('.env.example leaves HOST to the context, so `docker run --env-file` keeps the image’s 0.0.0.0', () => {
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    expect(example).not.toMatch(/^\s*HOST=/m);
    expect(dockerfile()).toMatch(/^\s*HOST=0\.0\.0\.0/m);
  });
});

describe('the manifest checks reject broken copies', () => {
  const broken = (mutate: (set: DeploySet) => void): string[] => {
    const copy = structuredClone(deploySet);
    mutate(copy);
    return problemsIn(copy);
  };
  const deploymentOf = (set: DeploySet): IDeployment => manifestOf(set, 'Deployment') as unknown as IDeployment;
  const setNodeOptions = (set: DeploySet, value: string): void => {
    appContainer(set).env = [{ name: 'NODE_OPTIONS', value }];
  };

  it('accepts the real manifests', () => {
    expect(problemsIn(deploySet)).toEqual([]);
  });

  it.each<[string, (set: DeploySet) => void, RegExp]>([
    [
      'replicas as a string',
      (set) => void Object.assign(deploymentOf(set).spec!, { replicas: 'two' }),
      /spec\/replicas must be integer/,
    ],
    [
      'a container without a name',
      (set) => void delete (appContainer(set) as Partial<IContainer>).name,
      /must have required property .?name/,
    ],
    [
      'a container port as a string',
      (set) => void Object.assign(appContainer(set).ports![0], { containerPort: '3000' }),
      /containerPort must be integer/,
    ],
    [
      'an unknown HPA metric source type',
      (set) =>
        void Object.assign(
          (manifestOf(set, 'HorizontalPodAutoscaler') as unknown as IHorizontalPodAutoscaler).spec!.metrics![0],
          { type: 42 },
        ),
      /type must be string/,
    ],
    [
      'a Service without ports array',
      (set) => void Object.assign((manifestOf(set, 'Service') as unknown as IService).spec!, { ports: { port: 80 } }),
      /ports must be array/,
    ],
    [
      'a misspelt top-level field',
      (set) => void Object.assign(manifestOf(set, 'Service'), { specs: {} }),
      /unknown top-level field "specs"/,
    ],
    [
      'a kind the test cannot validate',
      (set) => void Object.assign(manifestOf(set, 'PodDisruptionBudget'), { apiVersion: 'policy/v1beta1' }),
      /not one this test validates/,
    ],
    ['a container without an image', (set) => void delete appContainer(set).image, /image is missing/],
    [
      'an image without a tag',
      (set) => void Object.assign(appContainer(set), { image: 'ghcr.io/example/nest-mcp-oauth' }),
      /fixed tag or digest/,
    ],
    [
      'a Service selecting other pods',
      (set) =>
        void ((manifestOf(set, 'Service') as unknown as IService).spec!.selector = {
          'app.kubernetes.io/name': 'other',
        }),
      /Service: spec.selector/,
    ],
    [
      'an HPA aimed at another Deployment',
      (set) =>
        void ((
          manifestOf(set, 'HorizontalPodAutoscaler') as unknown as IHorizontalPodAutoscaler
        ).spec!.scaleTargetRef.name = 'other'),
      /HPA: scaleTargetRef/,
    ],
    [
      'a PDB selecting nothing',
      (set) =>
        void ((manifestOf(set, 'PodDisruptionBudget') as unknown as IPodDisruptionBudget).spec!.selector = {
          matchLabels: { app: 'x' },
        }),
      /PDB: spec.selector/,
    ],
    [
      'readiness on /healthz',
      (set) => void (appContainer(set).readinessProbe!.httpGet!.path = '/healthz'),
      /readinessProbe must be an HTTP GET of \/readyz/,
    ],
    [
      'a probe on a numeric port',
      (set) => void (appContainer(set).livenessProbe!.httpGet!.port = 3000),
      /livenessProbe must be an HTTP GET of \/healthz on the port named http/,
    ],
    ['a heap share leaving no room', (set) => setNodeOptions(set, '--max-old-space-size-percentage=95'), /25 to 80/],
    ['a fixed heap as large as the limit', (set) => setNodeOptions(set, '--max-old-space-size=512'), /well below the/],
    ['NODE_OPTIONS without a heap bound', (set) => setNodeOptions(set, '--enable-source-maps'), /must bound the heap/],
    [
      'a young generation left to V8',
      (set) => setNodeOptions(set, '--max-old-space-size-percentage=75'),
      /must set --max-semi-space-size/,
    ],
    [
      'a young generation too large for the limit',
      (set) => setNodeOptions(set, '--max-old-space-size-percentage=75 --max-semi-space-size=64'),
      /leaves the heap no room/,
    ],
    [
      'a writable root filesystem',
      (set) => void (appContainer(set).securityContext!.readOnlyRootFilesystem = false),
      /readOnlyRootFilesystem must be true/,
    ],
    [
      'running as root',
      (set) => void Object.assign(appContainer(set).securityContext!, { runAsNonRoot: false, runAsUser: 0 }),
      /runAsNonRoot must be true/,
    ],
    [
      'a grace period no longer than drain + preStop',
      (set) => void (deploymentOf(set).spec!.template.spec!.terminationGracePeriodSeconds = 30),
      /must exceed SHUTDOWN_GRACE_SECONDS \(25\) \+ preStop \(5\)/,
    ],
    [
      'a drain longer than the grace period',
      (set) => void ((manifestOf(set, 'ConfigMap') as unknown as IConfigMap).data!.SHUTDOWN_GRACE_SECONDS = '60'),
      /terminationGracePeriodSeconds \(35\) must exceed/,
    ],
    [
      'envFrom naming a missing Secret',
      (set) => void (appContainer(set).envFrom![1].secretRef!.name = 'missing'),
      /secretRef missing names no Secret/,
    ],
    [
      'envFrom naming a missing ConfigMap',
      (set) => void (appContainer(set).envFrom![0].configMapRef!.name = 'missing'),
      /configMapRef missing names no ConfigMap/,
    ],
    [
      'a ConfigMap the server refuses',
      (set) =>
        void ((manifestOf(set, 'ConfigMap') as unknown as IConfigMap).data!.PUBLIC_BASE_URL = 'http://mcp.example.com'),
      /server refuses this configuration/,
    ],
    [
      'an Ingress backend on a port the Service lacks',
      (set) =>
        void ((manifestOf(set, 'Ingress') as unknown as IIngress).spec!.rules![0].http!.paths[0].backend.service!.port =
          { name: 'https' }),
      /names a port the Service lacks/,
    ],
    [
      'proxy buffering left on',
      (set) =>
        void delete manifestOf(set, 'Ingress').metadata!.annotations!['nginx.ingress.kubernetes.io/proxy-buffering'],
      /proxy buffering must be off/,
    ],
    [
      'stateful sessions without affinity',
      (set) => void ((manifestOf(set, 'ConfigMap') as unknown as IConfigMap).data!.MCP_SESSION_MODE = 'stateful'),
      /needs session affinity/,
    ],
    [
      'a placeholder that looks like a real key',
      (set) =>
        void Object.assign((manifestOf(set, 'Secret') as unknown as ISecret).stringData!, {
          CLERK_SECRET_KEY: 'sk_live_REPLACE_ME',
          CLERK_PUBLISHABLE_KEY: 'pk_live_Y2xlcmsuZXhhbXBsZS5jb20k',
        }),
      /example values are accepted/,
    ],
    [
      'a kustomization missing a file',
      (set) =>
        void (set.kustomization.resources = (set.kustomization.resources as string[]).filter(
          (file) => file !== 'pdb.yaml',
        )),
      /does not list pdb.yaml/,
    ],
    [
      'a kustomization applying the example Secret',
      (set) => void (set.kustomization.resources as string[]).push('secret.example.yaml'),
      /must not list secret.example.yaml/,
    ],
  ])('rejects %s', (_name, mutate, expected) => {
    const problems = broken(mutate);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(expected);
  });

  it('parses as Kubernetes does: an unquoted `off` is a boolean, not a valid annotation', () => {
    const text = readFileSync(join(DEPLOY_DIR, 'ingress.yaml'), 'utf8').replace(
      'proxy-buffering: "off"',
      'proxy-buffering: off',
    );
    const [object] = parseYaml(text, 'ingress.yaml');
    expect(schemaProblems({ file: 'ingress.yaml', object: object as KubeObject }).join('\n')).toMatch(
      /annotations\/nginx.ingress.kubernetes.io~1proxy-buffering must be string/,
    );
  });

  it('refuses duplicate keys', () => {
    expect(() => parseYaml('a: 1\na: 2\n', 'duplicate.yaml')).toThrow(/duplicate\.yaml/);
  });
});
