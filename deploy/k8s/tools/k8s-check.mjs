// Offline checks of rendered Kubernetes manifests, run by deploy/k8s/check.sh (which copies this
// file next to the node_modules that deploy/local/install_sre_tools.sh installs).
//
//   node k8s-check.mjs validate NAME FILE.yaml
//       Every object against the Kubernetes OpenAPI schema (kubernetes-models) or, for the
//       Prometheus Operator's kinds, the operator's CRD schema (@kubernetes-models/prometheus-
//       operator); unknown fields (a misspelt `readinesProbe` passes a schema that allows extra
//       properties) found with the TypeScript declarations of the same models; and the project's
//       rules for hardened, drainable, observable workloads that verify tokens of the
//       organization's identity provider (see POLICIES below), and for the browsers' edge: only
//       the gateway behind an Ingress with TLS, no Kafka there, its network policy exactly what
//       it needs (gatewayErrors).
//   node k8s-check.mjs validate --schema-only NAME FILE.yaml
//       The schema and unknown-field checks only (renderings with features switched off, which
//       the policies would rightly reject for production).
//   node k8s-check.mjs dashboards RULES.yml OUT.yml DASHBOARD.json...
//       Writes every dashboard query into OUT.yml as a recording rule (Grafana's $__range,
//       $__rate_interval and variables replaced), so `promtool check rules OUT.yml` parses them
//       with Prometheus' own parser; fails when a query names a recording rule (a name with a
//       colon) that RULES.yml does not define, or a panel has no query.
//   node k8s-check.mjs mutations NAME FILE.yaml
//       The gateway's policies are not vacuous: each forbidden change of kGatewayMutations (Kafka
//       egress, an open port or source, an Ingress without TLS or to another service, a secret as
//       a value, ...) made to FILE, which must pass, is refused with its reason.
//   node k8s-check.mjs compare NAME_A A.yaml NAME_B B.yaml
//       The two renderings object by object, after removing what only one tool adds
//       (see normalize()).
//
// Exit status 0 when everything holds, 1 otherwise; every problem is printed with the object
// and the path it concerns.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const here = path.dirname(fileURLToPath(import.meta.url));

function loadDocs(file) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  const out = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join("; ")}`);
    const obj = d.toJSON();
    if (obj !== null && obj !== undefined) out.push(obj);
  }
  return out;
}

const idOf = (o) =>
  `${o.kind}/${o.metadata?.namespace ? o.metadata.namespace + "/" : ""}${o.metadata?.name}`;

// ------------------------------------------------------------------ models --
function modelModule(apiVersion, kind) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return { module: `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`, iface: `I${kind}` };
  }
  // core "v1" lives at kubernetes-models/v1; groups at kubernetes-models/<group>/<version>.
  return { module: `kubernetes-models/${apiVersion}/${kind}`, iface: `I${kind}` };
}

async function schemaErrors(obj) {
  const { module } = modelModule(obj.apiVersion, obj.kind);
  let mod;
  try {
    mod = await import(module);
  } catch {
    return [`no schema for ${obj.apiVersion} ${obj.kind} (is the apiVersion right?)`];
  }
  const Model = mod[obj.kind];
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    return String(e.message)
      .split(/,\s*(?=data\/)/)
      .map((m) => m.replace(/^data/, ""));
  }
}

// Unknown fields: walk the object along the TypeScript type of its model. One program for all
// kinds in the file (building it takes a few seconds).
async function unknownFieldChecker(objects) {
  const ts = (await import("typescript")).default;
  const kinds = [...new Map(objects.map((o) => [`${o.apiVersion} ${o.kind}`, o])).values()];
  let src = "";
  const varOf = new Map();
  kinds.forEach((o, i) => {
    const { module, iface } = modelModule(o.apiVersion, o.kind);
    src += `import type { ${iface} as T${i} } from "${module}";\nexport declare const v${i}: T${i};\n`;
    varOf.set(`${o.apiVersion} ${o.kind}`, `v${i}`);
  });
  const probe = path.join(here, "__kinds__.ts");
  const host = ts.createCompilerHost({});
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (f, lang) => (f === probe ? ts.createSourceFile(f, src, lang) : getSourceFile(f, lang));
  host.fileExists = (f) => f === probe || fileExists(f);
  const program = ts.createProgram(
    [probe],
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    },
    host,
  );
  const checker = program.getTypeChecker();
  const types = new Map();
  ts.forEachChild(program.getSourceFile(probe), (n) => {
    if (ts.isVariableStatement(n)) {
      for (const d of n.declarationList.declarations) types.set(d.name.text, checker.getTypeAtLocation(d));
    }
  });

  function walk(value, type, where, out) {
    if (value === null || typeof value !== "object") return;
    type = checker.getNonNullableType(type);
    if (type.isUnion()) {
      const objectTypes = type.types.filter((t) => t.flags & ts.TypeFlags.Object);
      // IntOrString, Quantity and friends have no object member: nothing to check.
      if (objectTypes.length !== 1) return;
      type = objectTypes[0];
    }
    if (Array.isArray(value)) {
      if (checker.isArrayType(type)) {
        const element = checker.getTypeArguments(type)[0];
        value.forEach((v, i) => walk(v, element, `${where}[${i}]`, out));
      }
      return;
    }
    const props = checker.getPropertiesOfType(type);
    const index = checker.getIndexInfosOfType(type);
    if (props.length === 0 && index.length === 0) return; // an open object (e.g. JSON)
    for (const [k, v] of Object.entries(value)) {
      const p = props.find((s) => s.name === k);
      if (p) walk(v, checker.getTypeOfSymbol(p), `${where}.${k}`, out);
      else if (index.length) walk(v, index[0].type, `${where}.${k}`, out);
      else out.push(`${where}.${k}: unknown field`);
    }
  }
  return (obj) => {
    const type = types.get(varOf.get(`${obj.apiVersion} ${obj.kind}`));
    if (!type) return [];
    const out = [];
    walk(obj, type, "", out);
    return out;
  };
}

// ---------------------------------------------------------------- policies --
// POLICIES: what every rendering of Advocacy must have, beyond a valid schema.
const kFlushSeconds = 5; // the Kafka producer's final flush after the drain (services/*/src/main.cc)
const kMarginSeconds = 5;
const kConsumers = new Set(["content", "notifications"]); // services that consume Kafka topics

function envOf(container, configMaps) {
  const env = {};
  for (const ef of container.envFrom ?? []) {
    const cm = configMaps.get(ef.configMapRef?.name);
    if (cm) Object.assign(env, cm.data ?? {});
  }
  for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  return env;
}

function matches(selector, labels) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

// Token verification of one service container (services/common config.cc, auth_config.cc): an
// issuers file that is mounted from a rendered ConfigMap and names, per issuer, the issuer and
// exactly one key source (an https JWKS URL or a mounted file), and/or the development key with
// its issuer; files it names (ca_file, jwks_file) must be in a mounted directory.
function authErrors(container, pod, env, configMaps) {
  const errors = [];
  const mountOf = (file) => (container.volumeMounts ?? []).find((m) => file.startsWith(`${m.mountPath.replace(/\/$/, "")}/`));
  const issuersFile = env.ADVOCACY_AUTH_ISSUERS_FILE;
  const devKey = env.ADVOCACY_JWT_PUBLIC_KEY_FILE;
  if (!issuersFile && !devKey) errors.push("no token issuer: ADVOCACY_AUTH_ISSUERS_FILE is not set");
  if (!!devKey !== !!env.ADVOCACY_JWT_ISSUER) errors.push("ADVOCACY_JWT_PUBLIC_KEY_FILE and ADVOCACY_JWT_ISSUER go together (the service refuses one alone)");
  if (devKey && !mountOf(devKey)) errors.push(`ADVOCACY_JWT_PUBLIC_KEY_FILE ${devKey} is in no mounted volume`);
  if (!env.ADVOCACY_JWT_AUDIENCE) errors.push("ADVOCACY_JWT_AUDIENCE is not set: the service would accept the shared default audience");
  if (!issuersFile) return errors;
  const mount = mountOf(issuersFile);
  const volume = mount && (pod.volumes ?? []).find((v) => v.name === mount.name);
  const cm = volume?.configMap && configMaps.get(volume.configMap.name);
  if (!cm) return [...errors, `ADVOCACY_AUTH_ISSUERS_FILE ${issuersFile} is not in a mounted, rendered ConfigMap`];
  const rel = issuersFile.slice(mount.mountPath.replace(/\/$/, "").length + 1);
  const key = (volume.configMap.items ?? []).find((i) => i.path === rel)?.key ?? rel;
  let file;
  try {
    file = JSON.parse(cm.data?.[key] ?? "");
  } catch (e) {
    return [...errors, `ADVOCACY_AUTH_ISSUERS_FILE: ConfigMap ${cm.metadata.name} key ${key} is not JSON (${e.message})`];
  }
  const issuers = Array.isArray(file?.issuers) ? file.issuers : [];
  if (!issuers.length) errors.push(`ConfigMap ${cm.metadata.name} ${key}: no issuers`);
  issuers.forEach((iss, i) => {
    const at = `ConfigMap ${cm.metadata.name} ${key} issuers[${i}]`;
    if (typeof iss?.issuer !== "string" || !iss.issuer) errors.push(`${at}: no issuer`);
    if (("jwks_uri" in (iss ?? {})) === ("jwks_file" in (iss ?? {}))) errors.push(`${at}: needs exactly one of jwks_uri, jwks_file`);
    if (iss?.jwks_uri !== undefined && !/^https:\/\//.test(iss.jwks_uri)) errors.push(`${at}: jwks_uri must be https`);
    if (iss?.allow_insecure_loopback_http) errors.push(`${at}: allow_insecure_loopback_http has no place in a cluster`);
    for (const f of ["ca_file", "jwks_file"]) {
      if (iss?.[f] !== undefined && !mountOf(String(iss[f]))) errors.push(`${at}: ${f} ${iss[f]} is in no mounted volume`);
    }
  });
  return errors;
}

function policyErrors(objects) {
  const errors = [];
  const err = (o, msg) => errors.push(`${idOf(o)}: ${msg}`);
  const byKind = (k) => objects.filter((o) => o.kind === k);
  const configMaps = new Map(byKind("ConfigMap").map((c) => [c.metadata.name, c]));

  const workloads = [...byKind("Deployment"), ...byKind("Job")];
  for (const w of workloads) {
    const pod = w.spec?.template?.spec ?? {};
    const psc = pod.securityContext ?? {};
    if (psc.runAsNonRoot !== true) err(w, "pod securityContext.runAsNonRoot must be true");
    if (!(psc.runAsUser > 0)) err(w, "pod securityContext.runAsUser must be a non-zero uid");
    if (psc.seccompProfile?.type !== "RuntimeDefault") err(w, "pod securityContext.seccompProfile.type must be RuntimeDefault");
    if (pod.automountServiceAccountToken !== false) err(w, "automountServiceAccountToken must be false (no pod calls the Kubernetes API)");
    if (!pod.serviceAccountName) err(w, "serviceAccountName must be set (no pod runs as the namespace's default account)");
    for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
      const sc = c.securityContext ?? {};
      const where = `container ${c.name}`;
      if (sc.allowPrivilegeEscalation !== false) err(w, `${where}: allowPrivilegeEscalation must be false`);
      if (sc.readOnlyRootFilesystem !== true) err(w, `${where}: readOnlyRootFilesystem must be true`);
      if (!(sc.capabilities?.drop ?? []).includes("ALL")) err(w, `${where}: capabilities.drop must contain ALL`);
      if (sc.privileged) err(w, `${where}: must not be privileged`);
      for (const r of ["cpu", "memory"]) {
        if (!c.resources?.requests?.[r]) err(w, `${where}: resources.requests.${r} is missing`);
        if (!c.resources?.limits?.[r]) err(w, `${where}: resources.limits.${r} is missing`);
      }
      if (!/:[^/]+$/.test(c.image ?? "") || /:latest$/.test(c.image)) err(w, `${where}: image '${c.image}' needs an explicit tag other than latest`);
    }
  }

  const services = byKind("Service");
  const pdbs = byKind("PodDisruptionBudget");
  const hpas = byKind("HorizontalPodAutoscaler");
  const policies = byKind("NetworkPolicy");
  if (!policies.some((p) => Object.keys(p.spec?.podSelector?.matchLabels ?? {}).length === 1 &&
      p.spec.podSelector.matchLabels["app.kubernetes.io/part-of"] === "advocacy" &&
      !p.spec.ingress && !p.spec.egress && (p.spec.policyTypes ?? []).length === 2)) {
    errors.push("no default-deny NetworkPolicy for app.kubernetes.io/part-of=advocacy");
  }
  for (const d of byKind("Deployment")) {
    const pod = d.spec.template.spec;
    const labels = d.spec.template.metadata?.labels ?? {};
    const c = pod.containers[0];
    const grpc = (c.ports ?? []).find((p) => p.name === "grpc");
    const env = envOf(c, configMaps);
    if (!grpc) err(d, "the first container has no port named grpc");
    if ((env.ADVOCACY_GRPC_TLS ?? "on") !== "off") {
      // gRPC over TLS: the kubelet's gRPC probe cannot do TLS, so the probes use the plain-HTTP
      // probe port (ADVOCACY_HEALTH_LISTEN), and the certificate Secret is mounted where the
      // ADVOCACY_GRPC_TLS_* files point.
      const health = (c.ports ?? []).find((p) => p.name === "health");
      const listen = String(env.ADVOCACY_HEALTH_LISTEN ?? "");
      if (!health) err(d, "gRPC TLS is on but the first container has no port named health");
      else if (!listen.endsWith(`:${health.containerPort}`)) err(d, `ADVOCACY_HEALTH_LISTEN '${listen}' is not the health port ${health.containerPort}`);
      const probe = (pr, path) => pr?.httpGet?.path === path && (pr.httpGet.port === "health" || pr.httpGet.port === health?.containerPort);
      if (!probe(c.readinessProbe, "/readyz")) err(d, "with gRPC TLS, readinessProbe must be httpGet /readyz on the health port");
      if (!probe(c.livenessProbe, "/healthz")) err(d, "with gRPC TLS, livenessProbe must be httpGet /healthz on the health port");
      for (const name of ["ADVOCACY_GRPC_TLS_CERT_FILE", "ADVOCACY_GRPC_TLS_KEY_FILE"]) {
        const file = String(env[name] ?? "");
        if (!file) err(d, `gRPC TLS is on but ${name} is not set`);
        else if (!(c.volumeMounts ?? []).some((m) => file.startsWith(`${m.mountPath}/`))) err(d, `${name}=${file} is on no mounted volume`);
      }
    } else {
      if (!c.readinessProbe?.grpc) err(d, "readinessProbe must be a gRPC probe (the standard health service)");
      else if (grpc && c.readinessProbe.grpc.port !== grpc.containerPort) err(d, `readinessProbe.grpc.port ${c.readinessProbe.grpc.port} is not the grpc port ${grpc.containerPort}`);
    }
    if (!c.livenessProbe) err(d, "livenessProbe is missing");
    if (!(c.ports ?? []).some((p) => p.name === "metrics")) err(d, "no port named metrics");
    // The drain must finish inside the grace period, or the kubelet kills in-flight RPCs.
    const drainMs = Number(env.ADVOCACY_DRAIN_TIMEOUT_MS ?? 10000);
    const cmd = c.lifecycle?.preStop?.exec?.command ?? [];
    const sleep = cmd[0]?.endsWith("sleep") ? Number(cmd[1]) : 0;
    const need = sleep + drainMs / 1000 + kFlushSeconds + kMarginSeconds;
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    if (grace < need) err(d, `terminationGracePeriodSeconds ${grace} < preStop ${sleep} s + drain ${drainMs / 1000} s + flush ${kFlushSeconds} s + margin ${kMarginSeconds} s = ${need} s`);
    if (!(pod.topologySpreadConstraints ?? []).some((t) => t.topologyKey === "topology.kubernetes.io/zone")) err(d, "no topology spread over zones");
    if (!(pod.topologySpreadConstraints ?? []).some((t) => t.topologyKey === "kubernetes.io/hostname")) err(d, "no topology spread over nodes");
    if (!services.some((s) => s.spec?.selector && matches(s.spec.selector, labels))) err(d, "no Service selects its pods");
    if (!pdbs.some((p) => matches(p.spec?.selector?.matchLabels, labels))) err(d, "no PodDisruptionBudget selects its pods");
    if (!policies.some((p) => Object.keys(p.spec?.podSelector?.matchLabels ?? {}).length > 1 && matches(p.spec.podSelector.matchLabels, labels))) err(d, "no NetworkPolicy of its own allows its traffic");
    const hpa = hpas.find((h) => h.spec?.scaleTargetRef?.kind === "Deployment" && h.spec.scaleTargetRef.name === d.metadata.name);
    if (hpa) {
      if (d.spec.replicas !== undefined) err(d, "has spec.replicas and an autoscaler: every apply would reset what the autoscaler chose");
      const partitions = Number(env.ADVOCACY_KAFKA_PARTITIONS ?? 6);
      if (kConsumers.has(labels["app.kubernetes.io/name"]) && hpa.spec.maxReplicas > partitions) {
        err(hpa, `maxReplicas ${hpa.spec.maxReplicas} exceeds ADVOCACY_KAFKA_PARTITIONS=${partitions}: the extra consumers would get no partition`);
      }
      if (hpa.spec.minReplicas > hpa.spec.maxReplicas) err(hpa, "minReplicas exceeds maxReplicas");
    }
    for (const ef of c.envFrom ?? []) {
      if (ef.configMapRef && !configMaps.has(ef.configMapRef.name)) err(d, `envFrom refers to ConfigMap ${ef.configMapRef.name}, which is not rendered`);
    }
    for (const e of authErrors(c, pod, env, configMaps)) err(d, e);
    // A token for one service must not be accepted by another (docs/SECURITY.md).
    const sameAudience = byKind("Deployment").filter((o) => o !== d &&
      envOf(o.spec.template.spec.containers[0], configMaps).ADVOCACY_JWT_AUDIENCE === env.ADVOCACY_JWT_AUDIENCE);
    if (env.ADVOCACY_JWT_AUDIENCE && sameAudience.length) err(d, `ADVOCACY_JWT_AUDIENCE ${env.ADVOCACY_JWT_AUDIENCE} is shared with ${sameAudience.map((o) => o.metadata.name).join(", ")}`);
  }
  // https egress (the identity provider) names its destinations: port 443 open to everything
  // would let a compromised pod send data anywhere.
  for (const p of policies) {
    (p.spec?.egress ?? []).forEach((rule, i) => {
      if ((rule.ports ?? []).some((port) => port.port === 443 || port.port === "https") && !(rule.to ?? []).length) {
        err(p, `egress[${i}] allows https to every destination: name the identity provider (ipBlock or selectors)`);
      }
    });
  }
  errors.push(...gatewayErrors(objects, configMaps));
  for (const sm of byKind("ServiceMonitor")) {
    const svc = services.find((s) => matches(sm.spec?.selector?.matchLabels, s.metadata?.labels));
    if (!svc) err(sm, "selects no Service");
    for (const ep of sm.spec?.endpoints ?? []) {
      if (svc && !(svc.spec.ports ?? []).some((p) => p.name === ep.port)) err(sm, `endpoint port '${ep.port}' is not a port of ${svc.metadata.name}`);
    }
  }
  for (const pr of byKind("PrometheusRule")) {
    for (const g of pr.spec?.groups ?? []) {
      for (const r of g.rules ?? []) {
        if (r.alert && !r.annotations?.runbook_url) err(pr, `alert ${r.alert} has no runbook_url`);
      }
    }
  }
  return errors;
}

// The browsers' edge (services/gateway; deploy/k8s/base/gateway): browsers reach only the gateway,
// through an Ingress that terminates TLS for GATEWAY_PUBLIC_URL's host; the gateway uses no Kafka,
// reads its client secret from a Secret, signs in at an issuer of its issuers file that accepts
// its audience; its NetworkPolicy allows exactly: the HTTP port from selected peers, /metrics,
// and out DNS, Redis, the identity provider (the services' own rule) and the four services' gRPC
// port; and every service accepts the gateway's gRPC calls.
const kUpstreams = ["consent", "courses", "content", "notifications"];

const portOf = (addr) => Number(String(addr ?? "").split(":").pop());

// The peers of a NetworkPolicy rule that select pods by labels only (no ipBlock, no empty
// selector that would match everything).
function selectivePeers(peers) {
  return (peers ?? []).length > 0 && peers.every((p) => !p.ipBlock &&
    (Object.keys(p.namespaceSelector?.matchLabels ?? {}).length || Object.keys(p.podSelector?.matchLabels ?? {}).length));
}

function gatewayErrors(objects, configMaps) {
  const errors = [];
  const err = (o, msg) => errors.push(`${idOf(o)}: ${msg}`);
  const byKind = (k) => objects.filter((o) => o.kind === k);
  const deployments = byKind("Deployment");
  const nameOf = (o) => o.spec?.template?.metadata?.labels?.["app.kubernetes.io/name"];
  const ownPolicy = (labels) => byKind("NetworkPolicy").find((p) =>
    Object.keys(p.spec?.podSelector?.matchLabels ?? {}).length > 1 && matches(p.spec.podSelector.matchLabels, labels));
  const gateway = deployments.find((d) => nameOf(d) === "gateway");
  const services = byKind("Service");
  const ingresses = byKind("Ingress");
  const gatewayService = gateway && services.find((s) => s.spec?.selector && matches(s.spec.selector, gateway.spec.template.metadata.labels));

  // Browsers reach only the gateway: every Ingress routes to its Service, with TLS for every host;
  // no Advocacy Service is exposed beside the cluster network.
  for (const s of services) {
    if ((s.spec?.type ?? "ClusterIP") !== "ClusterIP") err(s, `type ${s.spec.type}: browsers reach only the gateway, through its Ingress`);
  }
  for (const ing of ingresses) {
    const tlsHosts = new Set((ing.spec?.tls ?? []).filter((t) => t.secretName).flatMap((t) => t.hosts ?? []));
    if (ing.spec?.defaultBackend) err(ing, "has a defaultBackend: route the public host to the gateway only");
    for (const rule of ing.spec?.rules ?? []) {
      if (!rule.host) err(ing, "a rule without host: the Ingress serves the gateway's public host only");
      else if (!tlsHosts.has(rule.host)) err(ing, `host ${rule.host} has no TLS (spec.tls with a secretName): the Ingress terminates TLS`);
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend?.service;
        if (!gatewayService || backend?.name !== gatewayService.metadata.name) {
          err(ing, `path ${path.path} goes to ${backend?.name ?? "a non-Service backend"}: browsers reach only the gateway`);
          continue;
        }
        const port = (gatewayService.spec.ports ?? []).find((p) => p.name === backend.port?.name || p.port === backend.port?.number);
        if (!port || port.targetPort !== "http") err(ing, `path ${path.path}: port ${JSON.stringify(backend.port)} is not the gateway Service's port to the container port http`);
      }
    }
  }
  if (!gateway) return errors;

  const pod = gateway.spec.template.spec;
  const c = pod.containers[0];
  const env = envOf(c, configMaps);
  const mountOf = (file) => (c.volumeMounts ?? []).find((m) => String(file).startsWith(`${m.mountPath.replace(/\/$/, "")}/`));
  const volumeOf = (mount) => mount && (pod.volumes ?? []).find((v) => v.name === mount.name);

  // Its ports, and the address browsers use.
  const http = (c.ports ?? []).find((p) => p.name === "http");
  if (!http) err(gateway, "the gateway container has no port named http (the browsers' port)");
  else if (portOf(env.GATEWAY_HTTP_LISTEN ?? "0.0.0.0:8080") !== http.containerPort) err(gateway, `GATEWAY_HTTP_LISTEN '${env.GATEWAY_HTTP_LISTEN}' is not the http port ${http.containerPort}`);
  if (!gatewayService) err(gateway, "no Service selects the gateway");
  else {
    for (const [name, port] of [["http", 8080], ["grpc", 50051], ["metrics", 9464]]) {
      if (!(gatewayService.spec.ports ?? []).some((p) => p.name === name && p.port === port && p.targetPort === name)) err(gatewayService, `no port ${name} ${port} to the container's ${name}`);
    }
  }
  let publicHost = "";
  try {
    const url = new URL(env.GATEWAY_PUBLIC_URL);
    if (url.protocol !== "https:") err(gateway, `GATEWAY_PUBLIC_URL '${env.GATEWAY_PUBLIC_URL}' is not https: behind the Ingress the sessions' cookies must be Secure`);
    publicHost = url.host;
  } catch {
    err(gateway, `GATEWAY_PUBLIC_URL '${env.GATEWAY_PUBLIC_URL ?? ""}' is not a URL (the gateway requires it)`);
  }
  const routed = ingresses.filter((i) => (i.spec?.rules ?? []).some((r) => (r.http?.paths ?? []).some((p) => p.backend?.service?.name === gatewayService?.metadata.name)));
  if (!routed.length) err(gateway, "no Ingress routes to the gateway: browsers could not reach the app");
  else if (publicHost && !routed.some((i) => (i.spec.rules ?? []).some((r) => r.host === publicHost))) {
    err(gateway, `no Ingress serves GATEWAY_PUBLIC_URL's host ${publicHost}: the gateway refuses calls from any other origin`);
  }

  // The upstreams: each GATEWAY_<SERVICE>_ADDR is that service's Service, gRPC port.
  for (const name of kUpstreams) {
    const addr = env[`GATEWAY_${name.toUpperCase()}_ADDR`];
    if (!addr) { err(gateway, `GATEWAY_${name.toUpperCase()}_ADDR is not set (the gateway requires it)`); continue; }
    const svc = services.find((s) => s.metadata.name === String(addr).split(":")[0].split(".")[0]);
    if (deployments.some((d) => nameOf(d) === name)) {
      if (!svc || svc.spec?.selector?.["app.kubernetes.io/name"] !== name) err(gateway, `GATEWAY_${name.toUpperCase()}_ADDR ${addr} is not the ${name} Service`);
      else if (!(svc.spec.ports ?? []).some((p) => p.port === portOf(addr) && p.name === "grpc")) err(gateway, `GATEWAY_${name.toUpperCase()}_ADDR ${addr}: not the ${svc.metadata.name} Service's grpc port`);
    }
  }

  // No Kafka: no Kafka credentials, SASL user or certificate (the ADVOCACY_KAFKA_* keys of the
  // shared ConfigMap are not read: RuntimeNeeds{.kafka = false}).
  for (const e of c.env ?? []) if (e.name.startsWith("ADVOCACY_KAFKA_")) err(gateway, `env ${e.name}: the gateway uses no Kafka`);
  for (const v of pod.volumes ?? []) {
    if (v.name === "kafka-tls" || String(v.secret?.secretName ?? "").includes("-kafka-")) err(gateway, `volume ${v.name}: the gateway uses no Kafka`);
  }

  // Secrets are files from Secrets, never values in a ConfigMap or the pod spec.
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith("ADVOCACY_KAFKA_")) continue; // shared keys the gateway does not read
    if (/SECRET|PASSWORD/.test(k) && !k.endsWith("_FILE")) err(gateway, `${k} holds a secret as a value: mount it from a Secret and name the file (${k}_FILE)`);
    if (k.endsWith("_SECRET_FILE") || k.endsWith("_PASSWORD_FILE")) {
      const volume = volumeOf(mountOf(v));
      if (!volume?.secret) err(gateway, `${k}=${v} is not in a mounted Secret`);
    }
  }
  if (env.GATEWAY_OIDC_CA_FILE && !mountOf(env.GATEWAY_OIDC_CA_FILE)) err(gateway, `GATEWAY_OIDC_CA_FILE ${env.GATEWAY_OIDC_CA_FILE} is in no mounted volume`);

  // The sign-in: its issuer is one the gateway trusts (its issuers file), accepting the gateway's
  // audience, over https.
  if (env.GATEWAY_OIDC_ISSUER) {
    if (!/^https:\/\//.test(env.GATEWAY_OIDC_ISSUER)) err(gateway, `GATEWAY_OIDC_ISSUER ${env.GATEWAY_OIDC_ISSUER} is not https`);
    const mount = mountOf(env.ADVOCACY_AUTH_ISSUERS_FILE ?? "/nonexistent/");
    const volume = volumeOf(mount);
    const cm = volume?.configMap && configMaps.get(volume.configMap.name);
    let issuers = [];
    try {
      issuers = JSON.parse(cm?.data?.[(volume.configMap.items ?? []).find((i) => `${mount.mountPath}/${i.path}` === env.ADVOCACY_AUTH_ISSUERS_FILE)?.key ?? "issuers.json"] ?? "{}").issuers ?? [];
    } catch { /* authErrors reports an unreadable file */ }
    const issuer = issuers.find((i) => i.issuer === env.GATEWAY_OIDC_ISSUER);
    if (!issuer) err(gateway, `GATEWAY_OIDC_ISSUER ${env.GATEWAY_OIDC_ISSUER} is not an issuer of its issuers file: the gateway could not verify who signed in`);
    else if (issuer.audiences && !issuer.audiences.includes(env.ADVOCACY_JWT_AUDIENCE)) err(gateway, `issuer ${issuer.issuer} does not accept the gateway's audience ${env.ADVOCACY_JWT_AUDIENCE}`);
  }

  // Its NetworkPolicy: exactly what it needs.
  const policy = ownPolicy(gateway.spec.template.metadata.labels);
  if (policy) {
    const ingress = policy.spec.ingress ?? [];
    const inPorts = new Set();
    ingress.forEach((rule, i) => {
      if (!(rule.ports ?? []).length) err(policy, `ingress[${i}] allows every port`);
      if (!selectivePeers(rule.from)) err(policy, `ingress[${i}] allows every source: name the ingress controller's or Prometheus' namespace or pods`);
      for (const p of rule.ports ?? []) inPorts.add(p.port);
    });
    const metrics = (c.ports ?? []).find((p) => p.name === "metrics")?.containerPort;
    for (const port of inPorts) {
      if (port !== http?.containerPort && port !== "http" && port !== metrics && port !== "metrics") err(policy, `ingress allows port ${port}: the gateway is reached on its http and metrics ports only`);
    }
    if (http && !inPorts.has(http.containerPort) && !inPorts.has("http")) err(policy, `no ingress rule for the http port ${http.containerPort}: the Ingress could not reach the gateway`);
    const kafkaPorts = new Set(String(env.ADVOCACY_KAFKA_BROKERS ?? "").split(",").filter(Boolean).map(portOf));
    // Egress without destinations: DNS and what every other service may reach that way too (its
    // Redis port), never a Kafka port.
    const others = deployments.filter((d) => d !== gateway).map((d) => ownPolicy(d.spec.template.metadata.labels)).filter(Boolean);
    const untargeted = (p) => new Set((p.spec.egress ?? []).filter((r) => !(r.to ?? []).length).flatMap((r) => (r.ports ?? []).map((x) => x.port)));
    const common = others.length ? [...untargeted(others[0])].filter((port) => others.every((o) => untargeted(o).has(port))) : [53];
    const idpRule = others[0]?.spec.egress?.[2];
    const upstreamsReached = new Set();
    (policy.spec.egress ?? []).forEach((rule, i) => {
      const ports = (rule.ports ?? []).map((p) => p.port);
      if (!ports.length) err(policy, `egress[${i}] allows every port`);
      for (const port of ports) if (kafkaPorts.has(port)) err(policy, `egress[${i}] allows the Kafka port ${port}: the gateway uses no Kafka`);
      if (!(rule.to ?? []).length) {
        for (const port of ports) if (!common.includes(port) || kafkaPorts.has(port)) err(policy, `egress[${i}] allows port ${port} to every destination`);
        return;
      }
      if (i === 2) {
        if (idpRule && JSON.stringify(rule) !== JSON.stringify(idpRule)) err(policy, `egress[2] is not the services' identity-provider rule (overlays patch /spec/egress/2 of every service's policy)`);
        return;
      }
      const names = rule.to.map((peer) => !peer.namespaceSelector && !peer.ipBlock && peer.podSelector?.matchLabels?.["app.kubernetes.io/name"]);
      if (ports.some((p) => p !== 50051) || names.some((n) => !kUpstreams.includes(n))) {
        err(policy, `egress[${i}] (${JSON.stringify(rule).slice(0, 120)}) is none of DNS, Redis, the identity provider, the services' gRPC port`);
      }
      for (const n of names) upstreamsReached.add(n);
    });
    for (const name of kUpstreams) {
      if (deployments.some((d) => nameOf(d) === name) && !upstreamsReached.has(name)) err(policy, `no egress to ${name}'s gRPC port`);
    }
  }
  // Every service accepts the gateway's gRPC calls.
  for (const d of deployments.filter((x) => kUpstreams.includes(nameOf(x)))) {
    const p = ownPolicy(d.spec.template.metadata.labels);
    const grpc = (d.spec.template.spec.containers[0].ports ?? []).find((x) => x.name === "grpc")?.containerPort;
    const allows = (p?.spec.ingress ?? []).some((rule) => (rule.ports ?? []).some((x) => x.port === grpc || x.port === "grpc") &&
      (rule.from ?? []).some((peer) => !peer.namespaceSelector && matches(peer.podSelector?.matchLabels, gateway.spec.template.metadata.labels) &&
        Object.keys(peer.podSelector?.matchLabels ?? {}).length > 0));
    if (p && !allows) err(p, "does not allow the gateway's pods to its gRPC port: browsers' calls would time out");
  }
  return errors;
}

// The gateway's policies must not hold vacuously: each change below, made to a rendering that
// passes, must be refused with the reason given (a substring of the error).
const kGatewayMutations = [
  ["Kafka port in the gateway's egress", "the Kafka port", (o) => policyOf(o, "gateway").spec.egress[1].ports.push({ port: 9092, protocol: "TCP" })],
  ["an egress rule to any destination", "to every destination", (o) => policyOf(o, "gateway").spec.egress.push({ ports: [{ port: 8080, protocol: "TCP" }] })],
  ["an egress rule without ports", "allows every port", (o) => policyOf(o, "gateway").spec.egress.push({ to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "consent" } } }] })],
  ["the identity-provider rule moved", "identity-provider rule", (o) => { const e = policyOf(o, "gateway").spec.egress; e.splice(2, 0, e.splice(3, 1)[0]); }],
  ["no egress to a service", "no egress to notifications", (o) => { const e = policyOf(o, "gateway").spec.egress; e.splice(e.findIndex((r) => JSON.stringify(r).includes('"notifications"')), 1); }],
  ["egress to a pod that is no service", "none of DNS, Redis", (o) => policyOf(o, "gateway").spec.egress.push({ ports: [{ port: 50051, protocol: "TCP" }], to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "kafka" } } }] })],
  ["the gRPC port open to API clients", "ingress allows port 50051", (o) => policyOf(o, "gateway").spec.ingress.push({ ports: [{ port: 50051, protocol: "TCP" }], from: [{ namespaceSelector: { matchLabels: { "advocacy.example/api-gateway": "true" } } }] })],
  ["the HTTP port open to every source", "allows every source", (o) => delete policyOf(o, "gateway").spec.ingress[0].from],
  ["the HTTP port closed", "no ingress rule for the http port", (o) => policyOf(o, "gateway").spec.ingress.splice(0, 1)],
  ["a service refusing the gateway", "does not allow the gateway's pods", (o) => policyOf(o, "consent").spec.ingress[0].from.pop()],
  ["an Ingress without TLS", "has no TLS", (o) => delete objectOf(o, "Ingress", "gateway").spec.tls],
  ["an Ingress path to another service", "browsers reach only the gateway", (o) => objectOf(o, "Ingress", "gateway").spec.rules[0].http.paths.push({ path: "/l", pathType: "Prefix", backend: { service: { name: objectOf(o, "Service", "content").metadata.name, port: { number: 8080 } } } })],
  ["a NodePort Service", "browsers reach only the gateway", (o) => { objectOf(o, "Service", "content").spec.type = "NodePort"; }],
  ["a public URL the Ingress does not serve", "no Ingress serves GATEWAY_PUBLIC_URL", (o) => { gatewayConfig(o).data.GATEWAY_PUBLIC_URL = "https://elsewhere.example"; }],
  ["a plain-http public URL", "is not https", (o) => { gatewayConfig(o).data.GATEWAY_PUBLIC_URL = gatewayConfig(o).data.GATEWAY_PUBLIC_URL.replace("https:", "http:"); }],
  ["a client secret as a value", "holds a secret as a value", (o) => { gatewayConfig(o).data.GATEWAY_OIDC_CLIENT_SECRET = "s3cret"; }],
  ["the client secret file in a ConfigMap", "is not in a mounted Secret", (o) => { gatewayConfig(o).data.GATEWAY_OIDC_CLIENT_SECRET_FILE = "/etc/advocacy/auth/issuers.json"; }],
  ["a sign-in issuer the gateway does not trust", "is not an issuer of its issuers file", (o) => { gatewayConfig(o).data.GATEWAY_OIDC_ISSUER = "https://other.example"; }],
  ["Kafka credentials mounted", "uses no Kafka", (o) => objectOf(o, "Deployment", "gateway").spec.template.spec.volumes.push({ name: "kafka-tls", secret: { secretName: "advocacy-kafka-gateway" } })],
  ["an upstream address that is no Service", "is not the courses Service", (o) => { gatewayConfig(o).data.GATEWAY_COURSES_ADDR = "courses.example:50051"; }],
];
function objectOf(objects, kind, name) {
  const o = objects.find((x) => x.kind === kind && x.metadata?.labels?.["app.kubernetes.io/name"] === name &&
    (kind !== "ConfigMap" || !("issuers.json" in (x.data ?? {}))));
  if (!o) throw new Error(`no ${kind} of ${name} in the rendering`);
  return o;
}
const policyOf = (objects, name) => objectOf(objects, "NetworkPolicy", name);
// The gateway's own ConfigMap: the one its Deployment names besides the shared one.
function gatewayConfig(objects) {
  const refs = (objectOf(objects, "Deployment", "gateway").spec.template.spec.containers[0].envFrom ?? []).map((e) => e.configMapRef?.name);
  return objects.find((x) => x.kind === "ConfigMap" && refs.includes(x.metadata.name) && x.data?.GATEWAY_PUBLIC_URL !== undefined);
}

function mutations(name, file) {
  const objects = loadDocs(file).filter((o) => o.apiVersion && o.kind && o.metadata?.name);
  const base = policyErrors(objects);
  if (base.length) {
    console.error(`${name}: the unchanged rendering already breaks the policies:\n  ${base.join("\n  ")}`);
    return false;
  }
  const problems = [];
  for (const [what, reason, mutate] of kGatewayMutations) {
    const changed = structuredClone(objects);
    mutate(changed);
    const errors = policyErrors(changed);
    if (!errors.some((e) => e.includes(reason))) problems.push(`${what}: not refused with '${reason}' (${errors.length ? errors.join("; ").slice(0, 200) : "no error at all"})`);
  }
  if (problems.length) {
    console.error(`${name}: ${problems.length} of ${kGatewayMutations.length} forbidden changes to the gateway's objects pass the policies:`);
    for (const p of problems) console.error(`  ${p}`);
    return false;
  }
  console.log(`${name}: all ${kGatewayMutations.length} forbidden changes to the gateway's objects and network policies are refused, each with its reason`);
  return true;
}

// ----------------------------------------------------------------- compare --
// What only one of the two tools adds, and nothing else:
//  - Helm's bookkeeping labels helm.sh/chart and app.kubernetes.io/managed-by (object metadata);
//  - Helm hook annotations (helm.sh/*) on the topics Job and its ServiceAccount and ConfigMap;
//  - the pod-template annotation checksum/config, Helm's way to roll pods on a config change;
//  - the content-hash suffix kustomize appends to generated ConfigMaps for the same purpose
//    (advocacy-config-5f8h7k9c2m -> advocacy-config), in names and in every reference.
function normalize(objects) {
  const renamed = new Map();
  for (const o of objects) {
    const m = o.kind === "ConfigMap" && /^(.*)-[a-z0-9]{10}$/.exec(o.metadata?.name ?? "");
    if (m && objects.some((x) => x !== o && JSON.stringify(x).includes(`"${o.metadata.name}"`))) {
      renamed.set(o.metadata.name, m[1]);
    }
  }
  const fix = (v) => {
    if (Array.isArray(v)) return v.map(fix);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fix(x)]));
    if (typeof v === "string" && renamed.has(v)) return renamed.get(v);
    return v;
  };
  return objects.map((o) => {
    o = fix(structuredClone(o));
    const meta = o.metadata ?? {};
    if (meta.labels) {
      delete meta.labels["helm.sh/chart"];
      delete meta.labels["app.kubernetes.io/managed-by"];
    }
    if (meta.annotations) {
      for (const k of Object.keys(meta.annotations)) if (k.startsWith("helm.sh/")) delete meta.annotations[k];
      if (!Object.keys(meta.annotations).length) delete meta.annotations;
    }
    const tmeta = o.spec?.template?.metadata;
    if (tmeta?.annotations) {
      delete tmeta.annotations["checksum/config"];
      if (!Object.keys(tmeta.annotations).length) delete tmeta.annotations;
    }
    return o;
  });
}

function diff(a, b, where, out) {
  if (out.length > 40) return;
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    if (Array.isArray(a)) {
      if (a.length !== b.length) {
        out.push(`${where}: ${a.length} items vs ${b.length}`);
        return;
      }
      a.forEach((x, i) => diff(x, b[i], `${where}[${i}]`, out));
      return;
    }
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diff(a[k], b[k], `${where}.${k}`, out);
    return;
  }
  const show = (v) => (v === undefined ? "(absent)" : JSON.stringify(v).slice(0, 120));
  out.push(`${where}: ${show(a)} vs ${show(b)}`);
}

// -------------------------------------------------------------------- main --
function dashboards(rulesFile, outFile, files) {
  const rules = YAML.parse(fs.readFileSync(rulesFile, "utf8"));
  const recorded = new Set(rules.groups.flatMap((g) => g.rules.filter((r) => r.record).map((r) => r.record)));
  const problems = [];
  const generated = [];
  for (const file of files) {
    const dash = JSON.parse(fs.readFileSync(file, "utf8"));
    const ids = new Set();
    for (const panel of dash.panels ?? []) {
      if (panel.type === "row") continue;
      const where = `${path.basename(file)} panel ${panel.id} "${panel.title}"`;
      if (ids.has(panel.id)) problems.push(`${where}: duplicate panel id`);
      ids.add(panel.id);
      if (!(panel.targets ?? []).length) problems.push(`${where}: no query`);
      for (const t of panel.targets ?? []) {
        const expr = t.expr
          .replaceAll("$__rate_interval", "5m")
          .replaceAll("$__range", "1h")
          .replace(/\$\{?[A-Za-z_]+\}?/g, ".+");
        for (const name of expr.match(/[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]+/g) ?? []) {
          if (!recorded.has(name)) problems.push(`${where}: ${name} is not a recording rule of ${path.basename(rulesFile)}`);
        }
        generated.push({ record: `dashboard_query_${generated.length}`, expr });
      }
    }
  }
  fs.writeFileSync(outFile, YAML.stringify({ groups: [{ name: "dashboard-queries", rules: generated }] }));
  if (problems.length) {
    console.error(`dashboards: ${problems.length} problem(s):`);
    for (const p of problems) console.error(`  ${p}`);
    return false;
  }
  console.log(`dashboards: ${generated.length} queries in ${files.length} dashboards name only defined recording rules; written to ${outFile} for promtool`);
  return true;
}

async function validate(name, file, schemaOnly = false) {
  const objects = loadDocs(file);
  const problems = [];
  for (const o of objects) {
    if (!o.apiVersion || !o.kind || !o.metadata?.name) {
      problems.push(`an object without apiVersion, kind or metadata.name: ${JSON.stringify(o).slice(0, 100)}`);
    }
  }
  const valid = objects.filter((o) => o.apiVersion && o.kind && o.metadata?.name);
  for (const o of valid) for (const e of await schemaErrors(o)) problems.push(`${idOf(o)}: schema: ${e}`);
  const unknown = await unknownFieldChecker(valid);
  for (const o of valid) for (const e of unknown(o)) problems.push(`${idOf(o)}: ${e}`);
  if (!schemaOnly) for (const e of policyErrors(valid)) problems.push(`policy: ${e}`);
  const kinds = {};
  for (const o of valid) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
  if (problems.length) {
    console.error(`${name}: ${problems.length} problem(s) in ${objects.length} objects:`);
    for (const p of problems) console.error(`  ${p}`);
    return false;
  }
  console.log(`${name}: ${objects.length} objects valid (schema, unknown fields${schemaOnly ? "" : ", policies"}): ` +
    Object.entries(kinds).sort().map(([k, n]) => `${n} ${k}`).join(", "));
  return true;
}

function compare(nameA, fileA, nameB, fileB) {
  const key = (o) => `${o.apiVersion} ${idOf(o)}`;
  const a = new Map(normalize(loadDocs(fileA)).map((o) => [key(o), o]));
  const b = new Map(normalize(loadDocs(fileB)).map((o) => [key(o), o]));
  const problems = [];
  for (const k of a.keys()) if (!b.has(k)) problems.push(`${k}: only in ${nameA}`);
  for (const k of b.keys()) if (!a.has(k)) problems.push(`${k}: only in ${nameB}`);
  let same = 0;
  for (const [k, oa] of a) {
    const ob = b.get(k);
    if (!ob) continue;
    const d = [];
    diff(oa, ob, "", d);
    if (d.length) problems.push(`${k} differs (${nameA} vs ${nameB}):\n      ${d.join("\n      ")}`);
    else same++;
  }
  if (problems.length) {
    console.error(`${nameA} vs ${nameB}: ${problems.length} difference(s):`);
    for (const p of problems) console.error(`  ${p}`);
    return false;
  }
  console.log(`${nameA} vs ${nameB}: all ${same} objects identical`);
  return true;
}

const [cmd, ...args] = process.argv.slice(2);
let ok;
if (cmd === "validate" && args.length === 2) ok = await validate(args[0], args[1]);
else if (cmd === "validate" && args.length === 3 && args[0] === "--schema-only") ok = await validate(args[1], args[2], true);
else if (cmd === "dashboards" && args.length >= 3) ok = dashboards(args[0], args[1], args.slice(2));
else if (cmd === "compare" && args.length === 4) ok = compare(...args);
else if (cmd === "mutations" && args.length === 2) ok = mutations(...args);
else {
  console.error("usage: k8s-check.mjs validate [--schema-only] NAME FILE | dashboards RULES OUT DASHBOARD... | compare NAME_A FILE_A NAME_B FILE_B | mutations NAME FILE");
  process.exit(2);
}
process.exit(ok ? 0 : 1);
