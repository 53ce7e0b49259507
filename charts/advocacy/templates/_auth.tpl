{{/*
Token verification: the issuers file's checks, the mounts and volumes of every service pod, and
the NetworkPolicy egress rule to the identity provider (values: auth.*, networkPolicy.identityProvider).
*/}}

{{- define "advocacy.idpCaFile" -}}/etc/advocacy/idp-ca/ca.crt{{- end -}}
{{- define "advocacy.jwksDir" -}}/etc/advocacy/jwks/{{- end -}}

{{/* Fails the rendering on what the services would refuse at start, and on moved values. */}}
{{- define "advocacy.checkAuth" -}}
{{- $v := .Values -}}
{{- $auth := $v.auth -}}
{{- range $old, $new := dict "jwtIssuer" "auth.developmentKey.issuer (development only) or auth.issuers" "jwtAudience" "services.<name>.audience" -}}
{{- if hasKey $v.config $old }}{{ fail (printf "config.%s is gone: use %s" $old $new) }}{{ end -}}
{{- end -}}
{{- range $name, $svc := $v.services -}}
{{- if hasKey ($svc.env | default dict) "ADVOCACY_JWT_AUDIENCE" }}{{ fail (printf "services.%s.env.ADVOCACY_JWT_AUDIENCE: set services.%s.audience instead" $name $name) }}{{ end -}}
{{- end -}}
{{- if not (kindIs "slice" ($auth.issuers | default list)) }}{{ fail "auth.issuers must be a list of issuers" }}{{ end -}}
{{- if and (not $auth.issuers) (not $auth.developmentKey.enabled) -}}
{{- fail "auth.issuers is empty: list the organization's identity provider(s) (auth.developmentKey is for development only)" -}}
{{- end -}}
{{- if and $auth.caBundle.configMap $auth.caBundle.secret }}{{ fail "auth.caBundle: set configMap or secret, not both" }}{{ end -}}
{{- $known := list "issuer" "audiences" "jwks_uri" "jwks_file" "ca_file" "max_token_lifetime_seconds" "tenant_claim" "subject_claim" "roles_claim" "roles_space_separated" "scopes_claim" "role_map" "default_role" "fixed_tenant" "allowed_tenants" "allow_any_tenant" -}}
{{- $seen := dict -}}
{{- if $auth.developmentKey.enabled -}}
{{- if not $auth.developmentKey.issuer }}{{ fail "auth.developmentKey.issuer must be set" }}{{ end -}}
{{- $_ := set $seen $auth.developmentKey.issuer true -}}
{{- end -}}
{{- range $i, $issuer := $auth.issuers -}}
{{- $at := printf "auth.issuers[%d]" $i -}}
{{- if not (kindIs "map" $issuer) }}{{ fail (printf "%s must be a map (issuer, jwks_uri, ...)" $at) }}{{ end -}}
{{- range $k, $_ := $issuer -}}
{{- if eq $k "allow_insecure_loopback_http" }}{{ fail (printf "%s.%s: a cluster has no loopback identity provider; use https" $at $k) }}{{ end -}}
{{- if not (has $k $known) }}{{ fail (printf "%s.%s: unknown member (the services refuse unknown members; see auth_config.h)" $at $k) }}{{ end -}}
{{- end -}}
{{- if not (and (kindIs "string" $issuer.issuer) $issuer.issuer) }}{{ fail (printf "%s.issuer is required: the exact iss of the provider's tokens" $at) }}{{ end -}}
{{- if hasKey $seen $issuer.issuer }}{{ fail (printf "%s: issuer %s is configured twice" $at $issuer.issuer) }}{{ end -}}
{{- $_ := set $seen $issuer.issuer true -}}
{{- if eq (hasKey $issuer "jwks_uri") (hasKey $issuer "jwks_file") -}}
{{- fail (printf "%s (%s) needs exactly one key source: jwks_uri (https) or jwks_file" $at $issuer.issuer) -}}
{{- end -}}
{{- if hasKey $issuer "jwks_uri" -}}
{{- if not (hasPrefix "https://" (toString $issuer.jwks_uri)) }}{{ fail (printf "%s.jwks_uri must be an https:// URL" $at) }}{{ end -}}
{{- else -}}
{{- if not (and $auth.jwksConfigMap (hasPrefix (include "advocacy.jwksDir" $) (toString $issuer.jwks_file))) -}}
{{- fail (printf "%s.jwks_file must be %s<key> of auth.jwksConfigMap (which must be set)" $at (include "advocacy.jwksDir" $)) -}}
{{- end -}}
{{- end -}}
{{- if hasKey $issuer "ca_file" -}}
{{- if or (ne $issuer.ca_file (include "advocacy.idpCaFile" $)) (not (or $auth.caBundle.configMap $auth.caBundle.secret)) -}}
{{- fail (printf "%s.ca_file must be %s, with auth.caBundle.configMap or .secret set (the chart mounts nothing else)" $at (include "advocacy.idpCaFile" $)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* ADVOCACY_JWT_AUDIENCE of a service: (dict "root" $ "name" "consent") */}}
{{- define "advocacy.audience" -}}
{{- (index .root.Values.services .name).audience | default (printf "advocacy-%s" .name) -}}
{{- end -}}

{{/* The issuers file's mount (first in the list, where deploy/k8s has it). */}}
{{- define "advocacy.authIssuersMount" -}}
{{- if .Values.auth.issuers -}}
- name: auth-issuers
  mountPath: /etc/advocacy/auth
  readOnly: true
{{- end -}}
{{- end -}}

{{/* The optional mounts, last in the list (deploy/k8s/components append them): CA bundle, JWKS
     files, development key. */}}
{{- define "advocacy.authExtraMounts" -}}
{{- $auth := .Values.auth -}}
{{- if or $auth.caBundle.configMap $auth.caBundle.secret }}
- name: idp-ca
  mountPath: /etc/advocacy/idp-ca
  readOnly: true
{{- end }}
{{- if $auth.jwksConfigMap }}
- name: jwks
  mountPath: /etc/advocacy/jwks
  readOnly: true
{{- end }}
{{- if $auth.developmentKey.enabled }}
- name: jwt
  mountPath: /etc/advocacy/jwt
  readOnly: true
{{- end }}
{{- end -}}

{{- define "advocacy.authIssuersVolume" -}}
{{- if .Values.auth.issuers -}}
- name: auth-issuers
  configMap:
    name: {{ .Release.Name }}-auth-issuers
    items:
      - key: issuers.json
        path: issuers.json
{{- end -}}
{{- end -}}

{{- define "advocacy.authExtraVolumes" -}}
{{- $auth := .Values.auth -}}
{{- $items := list (dict "key" $auth.caBundle.key "path" "ca.crt") -}}
{{- if $auth.caBundle.configMap }}
- name: idp-ca
  configMap:
    name: {{ $auth.caBundle.configMap }}
    items:
      {{- toYaml $items | nindent 6 }}
{{- else if $auth.caBundle.secret }}
- name: idp-ca
  secret:
    secretName: {{ $auth.caBundle.secret }}
    items:
      {{- toYaml $items | nindent 6 }}
{{- end }}
{{- if $auth.jwksConfigMap }}
- name: jwks
  configMap:
    name: {{ $auth.jwksConfigMap }}
{{- end }}
{{- if $auth.developmentKey.enabled }}
- name: jwt
  secret:
    secretName: {{ .Values.secrets.jwt.name }}
    items:
      - key: jwt-public.pem
        path: jwt-public.pem
{{- end }}
{{- end -}}

{{/* The egress rule to the identity provider (JWKS; notifications' token endpoint). */}}
{{- define "advocacy.identityProviderEgress" -}}
{{- $idp := .Values.networkPolicy.identityProvider -}}
{{- if not (or $idp.cidrs $idp.namespaceLabels $idp.podLabels) -}}
{{- fail "networkPolicy.identityProvider needs a destination: cidrs, or namespaceLabels/podLabels for an in-cluster provider" -}}
{{- end -}}
{{- if not $idp.ports }}{{ fail "networkPolicy.identityProvider.ports is empty" }}{{ end -}}
- ports:
    {{- range $port := $idp.ports }}
    - port: {{ $port }}
      protocol: TCP
    {{- end }}
  to:
    {{- range $cidr := $idp.cidrs }}
    - ipBlock:
        cidr: {{ $cidr }}
    {{- end }}
    {{- if or $idp.namespaceLabels $idp.podLabels }}
    - {{- with $idp.namespaceLabels }}
      namespaceSelector:
        matchLabels:
          {{- toYaml . | nindent 10 }}
      {{- end }}
      {{- with $idp.podLabels }}
      podSelector:
        matchLabels:
          {{- toYaml . | nindent 10 }}
      {{- end }}
    {{- end }}
{{- end -}}
