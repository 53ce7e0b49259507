#!/usr/bin/env bash
# The CI checks of the Kubernetes manifests, the Helm chart and the monitoring rules; offline,
# no cluster needed. Run deploy/local/install_sre_tools.sh first (deploy/local/test.sh does).
#
#   1. the generated copies match their sources (sync.sh --check);
#   2. the Kafka topic and ACL declarations are valid (ensure-topics.sh and ensure-acls.sh
#      --validate, under dash);
#   3. `kubectl kustomize` builds the base and every overlay;
#   4. `helm lint` and `helm template` for the default values and ci/*-values.yaml, plus
#      renderings with each feature toggle flipped and with secrets.create; the chart refuses
#      incomplete token-verification values (auth.*, networkPolicy.identityProvider) and unsafe
#      gateway values (services.gateway.*, networkPolicy.ingressController);
#   5. every rendered object validates against the Kubernetes schema (and the Prometheus
#      Operator CRD schema), has no unknown field, and follows the project's policies
#      (tools/k8s-check.mjs: hardened pods, probes, drain within the grace period, PDB, HPA
#      within the partitions, network policies, ServiceMonitor ports, runbook links, token
#      verification: the issuers file mounted and usable, an audience per service, no https
#      egress to every destination; the browsers' edge: only the gateway behind an Ingress with
#      TLS, no Kafka there, its NetworkPolicy exactly what it needs, every service reachable from
#      it), and those gateway policies refuse each of a list of forbidden changes (mutations);
#   6. the chart and kustomize render the same objects: base = default values,
#      overlays/dev = ci/dev-values.yaml, overlays/production = ci/production-values.yaml,
#      base + components/development-key = auth.developmentKey.enabled; production has no
#      development key;
#   7. `promtool check rules` and `promtool test rules` (a test for every alert);
#   8. every alert links an existing runbook, and every dashboard query parses (promtool) and
#      names only recording rules that exist.
#
# The live half (a real Prometheus scraping the real services, the dashboards' metric names
# against /metrics) is tests/integration/prometheus_integration_test.py; the Kafka topics Job's script
# against a real broker is deploy/k8s/test_topics.sh.
#
# Prints "k8s-checks: N passed, M failed" and exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$here/../local/lib.sh"

SRE="$ADVOCACY_HOME/sre-tools"
KUBECTL="$SRE/bin/kubectl"
HELM="$SRE/bin/helm"
for tool in "$KUBECTL" "$HELM" "$SRE/node_modules/kubernetes-models/package.json"; do
  [[ -e "$tool" ]] || adv_die "$tool is missing: run deploy/local/install_sre_tools.sh (ADVOCACY_HOME=$ADVOCACY_HOME)"
done
command -v promtool >/dev/null || adv_die "promtool not found: run deploy/local/install_sre_tools.sh"
command -v node >/dev/null || adv_die "node not found: run deploy/local/install.sh"

out="$(mktemp -d /tmp/advocacy-k8s-check.XXXXXX)"
trap 'rm -rf "$out"' EXIT
# The checker imports the packages installed next to it.
cp "$here/tools/k8s-check.mjs" "$SRE/k8s-check.mjs"
checker() { node "$SRE/k8s-check.mjs" "$@"; }

passed=0
failed=0
failures=()
step() { # step NAME command...: runs it, keeps its output, counts the result
  local name="$1"
  shift
  if "$@" >"$out/step.log" 2>&1; then
    passed=$((passed + 1))
    adv_log "k8s check ok:   $name"
    sed 's/^/    /' "$out/step.log" | tail -n 3
  else
    failed=$((failed + 1))
    failures+=("$name")
    adv_warn "k8s check FAIL: $name"
    sed 's/^/    /' "$out/step.log" >&2
  fi
}

chart="$ADVOCACY_REPO/charts/advocacy"
rules="$ADVOCACY_REPO/deploy/monitoring/rules/advocacy.rules.yml"

step "generated copies match their sources" "$here/sync.sh" --check
step "topics.conf is a valid declaration" env TOPICS_FILE="$here/base/kafka-topics/topics.conf" dash "$here/base/kafka-topics/ensure-topics.sh" --validate
step "acls.conf is a valid declaration" env ACLS_FILE="$here/base/kafka-topics/acls.conf" dash "$here/base/kafka-topics/ensure-acls.sh" --validate

# --------------------------------------------------------------- render --
# name | kustomize dir | namespace | helm values file ("" = defaults)
renderings=(
  "base|$here/base|default|"
  "dev|$here/overlays/dev|advocacy-dev|$chart/ci/dev-values.yaml"
  "production|$here/overlays/production|advocacy|$chart/ci/production-values.yaml"
)
for r in "${renderings[@]}"; do
  IFS='|' read -r name dir ns values <<<"$r"
  # kustomize leaves the base's objects without a namespace; helm always sets one.
  step "kubectl kustomize ${dir#"$ADVOCACY_REPO"/}" sh -c '"$1" kustomize "$2" | awk -v ns="$4" '\''{ print } ns != "" && /^metadata:$/ { print "  namespace: " ns }'\'' >"$3"' \
    _ "$KUBECTL" "$dir" "$out/kustomize-$name.yaml" "$([[ "$name" == base ]] && echo default)"
  helm_args=(advocacy "$chart" --namespace "$ns")
  label="default values"
  if [[ -n "$values" ]]; then
    helm_args+=(-f "$values")
    label="${values#"$chart"/}"
  fi
  step "helm lint --strict ($label)" "$HELM" lint --strict "$chart" ${values:+-f "$values"}
  step "helm template ($label)" sh -c '"$@" >"$0"' "$out/helm-$name.yaml" "$HELM" template "${helm_args[@]}"
done

# Every token-verification option at once: two issuers (a JWKS URL with the CA bundle from a
# Secret, a JWKS file from a ConfigMap), the file's top-level settings, an audience override, the
# identity provider both by address and in the cluster.
cat >"$out/auth-values.yaml" <<'EOF'
auth:
  issuers:
    - issuer: "https://keycloak.example.com/realms/acme"
      jwks_uri: "https://keycloak.example.com/realms/acme/protocol/openid-connect/certs"
      ca_file: "/etc/advocacy/idp-ca/ca.crt"
      roles_claim: ["realm_access", "roles"]
      role_map: {"advocacy-admin": "admin", "advocacy-user": "employee"}
      fixed_tenant: "acme"
    - issuer: "https://idp.internal"
      jwks_file: "/etc/advocacy/jwks/idp-internal.json"
      audiences: ["advocacy-internal"]
      tenant_claim: "org"
      allowed_tenants: ["acme", "globex"]
  leewaySeconds: 10
  maxTokenLifetimeSeconds: 3600
  jwks: {max_cache_seconds: 900}
  caBundle: {secret: corporate-ca, key: bundle.pem}
  jwksConfigMap: advocacy-jwks
services:
  consent: {audience: "api://advocacy-consent"}
networkPolicy:
  identityProvider:
    ports: [443, 8443]
    cidrs: ["198.51.100.0/24", "203.0.113.10/32"]
    namespaceLabels: {kubernetes.io/metadata.name: keycloak}
EOF
secrets_flags="--set secrets.create=true --set secrets.redis.url=redis://redis:6379 --set-string secrets.notifications.oidcClientSecret=SECRET --set secrets.notifications.unsubscribeKey=0123456789abcdef0123456789abcdef --set-string secrets.gateway.oidcClientSecret=SECRET --set-string secrets.gateway.anonymousClientSecret=SECRET2 --set secrets.redis.passwords.consent=pw-consent --set secrets.redis.passwords.content=pw-content --set secrets.redis.passwords.courses=pw-courses --set secrets.redis.passwords.notifications=pw-notifications --set secrets.redis.passwords.gateway=pw-gateway"

# Template paths the three renderings above do not take.
toggles=(
  "notifications off|--set services.notifications.enabled=false"
  "network policies off|--set networkPolicy.enabled=false"
  "autoscaling off|--set autoscaling.enabled=false"
  "PDB and topics Job off|--set podDisruptionBudget.enabled=false --set kafkaTopics.enabled=false"
  "Kafka SASL_SSL|--set config.kafkaSecurityProtocol=SASL_SSL"
  "Kafka plaintext|--set config.kafkaSecurityProtocol=PLAINTEXT"
  "secrets created|$secrets_flags"
  "development key, its Secret created|$secrets_flags --set auth.developmentKey.enabled=true --set-string secrets.jwt.publicKeyPem=PEM"
  "development key only, no issuers|--set auth.developmentKey.enabled=true --set auth.issuers=null"
  "token verification options|-f $out/auth-values.yaml"
  "Redis TLS by the services (rediss://)|--set redis.tls.enabled=true --set redis.tls.serverName=redis.redis.svc.cluster.local --set networkPolicy.redisPort=6380"
  "Redis TLS proxy sidecar|--set redis.tlsProxy.enabled=true --set redis.tlsProxy.address=redis-tls.redis.svc.cluster.local:6380 --set redis.tlsProxy.serverName=redis-tls.redis.svc.cluster.local --set networkPolicy.redisPort=6380"
  "Redis ACL users off|--set redis.aclUsers=false"
  "gRPC TLS off (plaintext, gRPC probes)|--set grpcTls.enabled=false"
  "gRPC client auth optional|--set grpcTls.clientAuth=optional"
  "gateway off|--set services.gateway.enabled=false"
  "gateway Ingress options, public client|--set services.gateway.ingress.className=nginx --set services.gateway.ingress.host=app.advocacy.example --set-string services.gateway.ingress.annotations.cert-manager\\.io/cluster-issuer=letsencrypt --set services.gateway.oidc.clientSecret.existingSecret= --set networkPolicy.ingressController.podLabels.app\\.kubernetes\\.io/name=ingress-nginx"
  "gateway Ingress off|--set services.gateway.ingress.enabled=false"
)
i=0
for t in "${toggles[@]}"; do
  IFS='|' read -r name flags <<<"$t"
  i=$((i + 1))
  # shellcheck disable=SC2086
  step "helm template ($name)" sh -c '"$@" >"$0"' "$out/helm-toggle-$i.yaml" "$HELM" template advocacy "$chart" --namespace advocacy -f "$chart/ci/production-values.yaml" $flags
done

# expect_refusals WHAT CASE...: each CASE is "VALUES|REASON": helm template with --set VALUES must
# fail, and its message must contain REASON. Fails (status 1) naming every case that did not.
expect_refusals() {
  local what="$1" bad=0 case values want
  shift
  for case in "$@"; do
    IFS='|' read -r values want <<<"$case"
    if "$HELM" template advocacy "$chart" --set "$values" >"$out/refusal.log" 2>&1; then
      echo "accepted: --set $values"
      bad=1
    elif ! grep -qF -- "$want" "$out/refusal.log"; then
      echo "--set $values: refused without '$want':"
      cat "$out/refusal.log"
      bad=1
    fi
  done
  ((bad == 0)) || return 1
  echo "$# $what refused with their reason"
}

# The chart refuses what the services would refuse at start (or what would open https to anywhere).
check_auth_refusals() {
  local -a cases=(
    "auth.issuers=null|auth.issuers is empty"
    "auth.issuers[0].issuer=https://a.example|needs exactly one key source"
    "auth.issuers[0].issuer=https://a.example,auth.issuers[0].jwks_uri=http://a.example/jwks|must be an https:// URL"
    "auth.issuers[0].issuer=https://a.example,auth.issuers[0].jwks_uri=https://a.example/jwks,auth.issuers[0].ca_file=/etc/advocacy/idp-ca/ca.crt|with auth.caBundle"
    "auth.issuers[0].issuer=https://a.example,auth.issuers[0].jwks_uri=https://a.example/jwks,auth.issuers[0].roles_clam=roles|unknown member"
    "auth.issuers[0].jwks_uri=https://a.example/jwks|issuer is required"
    "auth.issuers[0].issuer=https://a.example,auth.issuers[0].jwks_file=/etc/advocacy/jwks/a.json|auth.jwksConfigMap"
    "networkPolicy.identityProvider.cidrs=null|needs a destination"
    "config.jwtIssuer=advocacy|config.jwtIssuer is gone"
    "services.consent.env.ADVOCACY_JWT_AUDIENCE=x|set services.consent.audience"
  )
  expect_refusals "incomplete or unsafe auth values" "${cases[@]}"
}
step "helm template refuses incomplete token-verification values" check_auth_refusals

# The chart refuses gateway values the gateway would refuse, or that would break the sign-in or
# expose it without TLS.
check_gateway_refusals() {
  local -a cases=(
    "services.gateway.publicUrl=http://app.advocacy.example|must be an https:// URL"
    "services.gateway.publicUrl=https://app.advocacy.example:8443|without a port or path"
    "services.gateway.publicUrl=https://app.advocacy.example/app|without a port or path"
    "services.gateway.ingress.host=other.advocacy.example|is not publicUrl's host"
    "services.gateway.ingress.tlsSecretName=|tlsSecretName is empty"
    "services.gateway.oidc.issuer=https://other.example|is not one of auth.issuers"
    "services.gateway.oidc.clientId=|clientId is empty"
    "auth.issuers[0].issuer=https://login.advocacy.example,auth.issuers[0].jwks_uri=https://login.advocacy.example/jwks,auth.issuers[0].audiences={advocacy-consent}|lists audiences without the gateway's"
    "networkPolicy.ingressController.namespaceLabels=null|networkPolicy.ingressController needs"
    "secrets.create=true,secrets.redis.url=redis://r:6379,secrets.notifications.oidcClientSecret=S,secrets.notifications.unsubscribeKey=0123456789abcdef0123456789abcdef|secrets.gateway.oidcClientSecret must be set"
    "secrets.create=true,secrets.redis.url=redis://r:6379,secrets.notifications.oidcClientSecret=S,secrets.notifications.unsubscribeKey=0123456789abcdef0123456789abcdef,secrets.gateway.oidcClientSecret=S|secrets.gateway.anonymousClientSecret must be set"
  )
  expect_refusals "unsafe or inconsistent gateway values" "${cases[@]}"
}
step "helm template refuses unsafe gateway values" check_gateway_refusals

# component_overlay NAME COMPONENT: writes $out/NAME-overlay/kustomization.yaml (the base plus
# components/COMPONENT; kustomize takes relative roots only) and prints that directory.
component_overlay() {
  local dir="$out/$1-overlay" rel
  mkdir -p "$dir"
  rel="$(python3 -c 'import os, sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$here" "$dir")"
  cat >"$dir/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $rel/base
components:
  - $rel/components/$2
EOF
  printf '%s\n' "$dir"
}
# render_component NAME COMPONENT: kustomize renders base + components/COMPONENT into
# $out/kustomize-NAME.yaml.
render_component() {
  step "kubectl kustomize base + components/$2" sh -c '"$1" kustomize --load-restrictor LoadRestrictionsNone "$2" >"$3"' \
    _ "$KUBECTL" "$(component_overlay "$1" "$2")" "$out/kustomize-$1.yaml"
}

# The development key as kustomize adds it (base + components/development-key) and as the chart
# does (auth.developmentKey.enabled): compared like the overlays.
step "kubectl kustomize base + components/development-key" sh -c '"$1" kustomize --load-restrictor LoadRestrictionsNone "$2" | awk '\''{ print } /^metadata:$/ { print "  namespace: default" }'\'' >"$3"' \
  _ "$KUBECTL" "$(component_overlay devkey development-key)" "$out/kustomize-devkey.yaml"
step "helm template (auth.developmentKey.enabled)" sh -c '"$@" >"$0"' "$out/helm-devkey.yaml" "$HELM" template advocacy "$chart" \
  --namespace default --set auth.developmentKey.enabled=true

# ------------------------------------------------------------- validate --
for r in "${renderings[@]}"; do
  IFS='|' read -r name _ <<<"$r"
  [[ -s "$out/kustomize-$name.yaml" ]] && step "validate kustomize $name" checker validate "kustomize-$name" "$out/kustomize-$name.yaml"
  [[ -s "$out/helm-$name.yaml" ]] && step "validate helm $name" checker validate "helm-$name" "$out/helm-$name.yaml"
  if [[ -s "$out/kustomize-$name.yaml" && -s "$out/helm-$name.yaml" ]]; then
    step "compare kustomize $name with helm $name" checker compare "kustomize-$name" "$out/kustomize-$name.yaml" "helm-$name" "$out/helm-$name.yaml"
  fi
done
i=0
for t in "${toggles[@]}"; do
  IFS='|' read -r name _ <<<"$t"
  i=$((i + 1))
  [[ -s "$out/helm-toggle-$i.yaml" ]] && step "validate helm ($name)" checker validate --schema-only "helm-$name" "$out/helm-toggle-$i.yaml"
done
if [[ -s "$out/kustomize-devkey.yaml" && -s "$out/helm-devkey.yaml" ]]; then
  step "validate kustomize base + development-key" checker validate "kustomize-devkey" "$out/kustomize-devkey.yaml"
  step "validate helm development key" checker validate "helm-devkey" "$out/helm-devkey.yaml"
  step "compare kustomize base + development-key with helm auth.developmentKey.enabled" \
    checker compare "kustomize-devkey" "$out/kustomize-devkey.yaml" "helm-devkey" "$out/helm-devkey.yaml"
fi
# The development key signs any principal: nothing of it in a production rendering.
for f in kustomize-production helm-production; do
  [[ -s "$out/$f.yaml" ]] && step "$f has no development key" sh -c \
    '! grep -nE "ADVOCACY_JWT_PUBLIC_KEY_FILE|ADVOCACY_JWT_ISSUER|advocacy-jwt|jwt-public.pem" "$1" && echo "no development key; issuers file mounted $(grep -c "mountPath: /etc/advocacy/auth$" "$1") times"' _ "$out/$f.yaml"
done
# The options' rendering holds together (policies too): the issuers file names the mounted CA
# bundle and JWKS files, the IdP rule carries both destinations.
toggle_auth="$(printf '%s\n' "${toggles[@]}" | grep -n '^token verification options|' | cut -d: -f1)"
[[ -s "$out/helm-toggle-$toggle_auth.yaml" ]] && step "token verification options: policies hold" \
  checker validate "helm-auth-options" "$out/helm-toggle-$toggle_auth.yaml"
# The gateway's policies refuse every forbidden change (they do not hold vacuously).
for f in kustomize-base helm-production; do
  [[ -s "$out/$f.yaml" ]] && step "gateway policies refuse forbidden changes ($f)" checker mutations "$f" "$out/$f.yaml"
done
# The Ingress options and the public client hold the policies too.
toggle_gw="$(printf '%s\n' "${toggles[@]}" | grep -n '^gateway Ingress options, public client|' | cut -d: -f1)"
[[ -s "$out/helm-toggle-$toggle_gw.yaml" ]] && step "gateway Ingress options, public client: policies hold" \
  checker validate "helm-gateway-options" "$out/helm-toggle-$toggle_gw.yaml"
# A toggle that is off must remove its objects, not leave references behind.
toggle_gw_off="$(printf '%s\n' "${toggles[@]}" | grep -n '^gateway off|' | cut -d: -f1)"
[[ -s "$out/helm-toggle-$toggle_gw_off.yaml" ]] && step "gateway off renders no gateway object and no rule naming its pods" sh -c \
  '! grep -nE "name: advocacy-gateway|app.kubernetes.io/name: gateway|kind: Ingress" "$1"' _ "$out/helm-toggle-$toggle_gw_off.yaml"
if [[ -s "$out/helm-toggle-1.yaml" ]]; then
  step "notifications off renders no notifications object" sh -c '! grep -q "name: advocacy-notifications$" "$1"' _ "$out/helm-toggle-1.yaml"
  # Consent must not wait for receipts of a consumer that is not deployed.
  step "notifications off: consent waits for content's receipts only" \
    grep -q 'CONSENT_PROPAGATION_SERVICES: "content"$' "$out/helm-toggle-1.yaml"
fi

# ----------------------------------------------------------- monitoring --
# The Redis TLS sidecar as kustomize renders it (base + components/redis-tls-proxy), and the
# chart's cert-manager option (Certificates have no schema here: rendered and counted only).
render_component redis-tls redis-tls-proxy
[[ -s "$out/kustomize-redis-tls.yaml" ]] && step "validate kustomize base + redis-tls-proxy" checker validate "kustomize-redis-tls" "$out/kustomize-redis-tls.yaml"
step "kustomize redis-tls-proxy: every service and the gateway have the sidecar and use it" sh -c \
  '[ "$(grep -c "image: advocacy/redis-tls-proxy:" "$1")" -eq 5 ] && [ "$(grep -c "value: redis://127.0.0.1:6379$" "$1")" -eq 5 ]' \
  _ "$out/kustomize-redis-tls.yaml"
step "helm template (Redis TLS proxy with cert-manager Certificates)" sh -c \
  '"$@" >"$0" && [ "$(grep -c "^kind: Certificate$" "$0")" -eq 5 ]' "$out/helm-redis-cm.yaml" "$HELM" template advocacy "$chart" \
  --namespace advocacy -f "$chart/ci/production-values.yaml" --set redis.tlsProxy.enabled=true \
  --set redis.tlsProxy.address=redis-tls:6380 --set redis.tlsProxy.serverName=redis-tls --set redis.tlsProxy.certManager.enabled=true

# The services' own TLS to Redis as kustomize renders it (base + components/redis-tls).
render_component redis-native redis-tls
[[ -s "$out/kustomize-redis-native.yaml" ]] && step "validate kustomize base + redis-tls" checker validate "kustomize-redis-native" "$out/kustomize-redis-native.yaml"
step "kustomize redis-tls: every service and the gateway mount their certificate and read it" sh -c \
  '[ "$(grep -c "value: /etc/advocacy/redis-tls/ca.crt$" "$1")" -eq 5 ] && [ "$(grep -c "secretName: advocacy-redis-tls-" "$1")" -eq 5 ] && ! grep -q "image: .*redis-tls-proxy" "$1"' \
  _ "$out/kustomize-redis-native.yaml"
step "helm template (Redis TLS by the services, cert-manager Certificates): a Certificate per mounted Secret, no sidecar" sh -c \
  '"$@" >"$0" && [ "$(grep -c "^kind: Certificate$" "$0")" -eq 5 ] && [ "$(grep -c "secretName: advocacy-redis-tls-" "$0")" -eq 10 ] && [ "$(grep -c "value: /etc/advocacy/redis-tls/ca.crt$" "$0")" -eq 5 ] && ! grep -q "image: .*redis-tls-proxy" "$0"' \
  "$out/helm-redis-native-cm.yaml" "$HELM" template advocacy "$chart" --namespace advocacy -f "$chart/ci/production-values.yaml" \
  --set redis.tls.enabled=true --set redis.tlsProxy.certManager.enabled=true
step "helm refuses redis.tls together with redis.tlsProxy" sh -c '! "$@" >/dev/null 2>&1' "$HELM" template advocacy "$chart" \
  --namespace advocacy -f "$chart/ci/production-values.yaml" --set redis.tls.enabled=true --set redis.tlsProxy.enabled=true \
  --set redis.tlsProxy.address=r:6380 --set redis.tlsProxy.serverName=r

# gRPC TLS certificates by cert-manager: the kustomize component and the chart's option render
# one Certificate per service and the gateway for the Secret it mounts (Certificates have no
# schema here: counted), and the chart with TLS off mounts no certificate.
render_component grpc-tls grpc-tls-cert-manager
certificates_per_secret() { # FILE: 5 Certificates, each naming the Secret a Deployment mounts
  local s
  [ "$(grep -c "^kind: Certificate$" "$1")" -eq 5 ] || return 1
  for s in consent content courses notifications gateway; do
    [ "$(grep -c "secretName: advocacy-$s-grpc-tls$" "$1")" -eq 2 ] || { echo "advocacy-$s-grpc-tls: not one Certificate and one mount"; return 1; }
  done
}
step "kustomize grpc-tls-cert-manager: a Certificate per mounted Secret" certificates_per_secret "$out/kustomize-grpc-tls.yaml"
step "helm template (gRPC TLS with cert-manager Certificates)" sh -c '"$@" >"$0"' "$out/helm-grpc-tls-cm.yaml" \
  "$HELM" template advocacy "$chart" --namespace advocacy -f "$chart/ci/production-values.yaml" --set grpcTls.certManager.enabled=true
[[ -s "$out/helm-grpc-tls-cm.yaml" ]] && step "helm grpcTls.certManager: a Certificate per mounted Secret" certificates_per_secret "$out/helm-grpc-tls-cm.yaml"
step "helm template (gRPC TLS off): plaintext, no certificate mounted" sh -c \
  '"$@" >"$0" && grep -q "ADVOCACY_GRPC_TLS: \"off\"" "$0" && ! grep -q "grpc-tls" "$0"' "$out/helm-grpc-tls-off.yaml" \
  "$HELM" template advocacy "$chart" --namespace advocacy -f "$chart/ci/production-values.yaml" --set grpcTls.enabled=false

step "promtool check rules" promtool check rules "$rules"
step "promtool test rules (every alert)" promtool test rules "$ADVOCACY_REPO/deploy/monitoring/rules/advocacy.rules.test.yml"

check_runbooks() {
  local alerts alert missing=0
  alerts="$(sed -n 's/^ *- alert: *//p' "$rules" | sort -u)"
  [[ -n "$alerts" ]] || { echo "no alert found in $rules"; return 1; }
  for alert in $alerts; do
    local doc="$ADVOCACY_REPO/docs/runbooks/$alert.md"
    if [[ ! -f "$doc" ]]; then
      echo "alert $alert: no runbook $doc"
      missing=1
    elif ! grep -q "^# $alert" "$doc"; then
      echo "alert $alert: $doc does not start with '# $alert'"
      missing=1
    fi
    if ! grep -q "runbook_url: https://github.com/advocacy/advocacy/blob/main/docs/runbooks/$alert.md" "$rules"; then
      echo "alert $alert: runbook_url does not point to docs/runbooks/$alert.md"
      missing=1
    fi
  done
  # Every tested alert name exists and every alert is tested.
  for alert in $alerts; do
    grep -q "alertname: $alert" "$ADVOCACY_REPO/deploy/monitoring/rules/advocacy.rules.test.yml" ||
      { echo "alert $alert has no promtool test"; missing=1; }
  done
  ((missing == 0)) && echo "$(wc -w <<<"$alerts") alerts, each with a runbook and a unit test"
}
step "every alert has a runbook and a unit test" check_runbooks
step "dashboard queries name defined recording rules" checker dashboards "$rules" "$out/dashboard-queries.yml" "$ADVOCACY_REPO"/deploy/monitoring/dashboards/*.json
[[ -s "$out/dashboard-queries.yml" ]] && step "dashboard queries parse (promtool)" promtool check rules "$out/dashboard-queries.yml"

echo "k8s-checks: $passed passed, $failed failed"
if ((failed)); then
  adv_warn "failed: ${failures[*]}"
  exit 1
fi
