{{/*
The gateway's settings from services.gateway (publicUrl, oidc, session, ingress), checked here for
what the gateway would refuse at start or what would break the sign-in, so a wrong value fails
the rendering rather than every pod. deploy/k8s/base/gateway/ is the same for a release named
"advocacy".
*/}}

{{/* The sign-in's issuer: services.gateway.oidc.issuer, or the first of auth.issuers ("" when
     there is none: no browser sign-in, bearer callers only). */}}
{{- define "advocacy.gatewayIssuer" -}}
{{- $oidc := .Values.services.gateway.oidc -}}
{{- if $oidc.issuer -}}
{{ $oidc.issuer }}
{{- else if .Values.auth.issuers -}}
{{ (first .Values.auth.issuers).issuer | default "" }}
{{- end -}}
{{- end -}}

{{/* The key of the gateway's own client secret (public certificate checks) in the oidc Secret, or
     "" when that client is off: clientSecretKey "", or no Secret (a public client) or no issuer
     to get its token from. */}}
{{- define "advocacy.gatewayAnonymousKey" -}}
{{- $gw := .Values.services.gateway -}}
{{- if and $gw.anonymous.clientSecretKey $gw.oidc.clientSecret.existingSecret (include "advocacy.gatewayIssuer" .) -}}
{{ $gw.anonymous.clientSecretKey }}
{{- end -}}
{{- end -}}

{{/* The public host (the Ingress's): publicUrl's host; services.gateway.ingress.host must be it. */}}
{{- define "advocacy.gatewayHost" -}}
{{- $gw := .Values.services.gateway -}}
{{- $url := urlParse ($gw.publicUrl | default "") -}}
{{- if ne $url.scheme "https" -}}
{{- fail (printf "services.gateway.publicUrl '%s' must be an https:// URL: the Ingress terminates TLS, and the gateway's session cookies are Secure (__Host-) only behind https" ($gw.publicUrl | default "")) -}}
{{- end -}}
{{- if or (contains ":" $url.host) (not (has $url.path (list "" "/"))) $url.query -}}
{{- fail (printf "services.gateway.publicUrl '%s' must be https://<host> without a port or path: browsers reach the gateway at the Ingress's host" $gw.publicUrl) -}}
{{- end -}}
{{- if and $gw.ingress.host (ne $gw.ingress.host $url.host) -}}
{{- fail (printf "services.gateway.ingress.host '%s' is not publicUrl's host '%s': the gateway answers only calls whose Origin is publicUrl" $gw.ingress.host $url.host) -}}
{{- end -}}
{{ $url.host }}
{{- end -}}

{{/* The gateway's ConfigMap keys beyond ADVOCACY_JWT_AUDIENCE and env (YAML, values quoted):
     (dict "root" $ "name" "gateway" ...) */}}
{{- define "advocacy.gatewayConfig" -}}
{{- $root := .root -}}
{{- /* The issuers' own checks first: their messages, not a consequence of them, name the problem. */ -}}
{{- include "advocacy.checkAuth" $root -}}
{{- $gw := $root.Values.services.gateway -}}
{{- $oidc := $gw.oidc -}}
{{- $s := $gw.session -}}
{{- $issuer := include "advocacy.gatewayIssuer" $root -}}
{{- $caFile := $oidc.caFile -}}
{{- $host := include "advocacy.gatewayHost" $root -}}
{{- if $issuer -}}
{{- if not (hasPrefix "https://" $issuer) }}{{ fail (printf "the gateway's sign-in issuer '%s' must be https" $issuer) }}{{ end -}}
{{- $known := false -}}
{{- range $i := $root.Values.auth.issuers -}}
{{- if eq $i.issuer $issuer -}}
{{- $known = true -}}
{{- if and $i.audiences (not (has (include "advocacy.audience" (dict "root" $root "name" "gateway")) $i.audiences)) -}}
{{- fail (printf "auth.issuers: %s, the gateway's sign-in issuer, lists audiences without the gateway's (%s): the gateway could not verify who signed in" $issuer (include "advocacy.audience" (dict "root" $root "name" "gateway"))) -}}
{{- end -}}
{{- if and (not $caFile) $i.ca_file }}{{ $caFile = $i.ca_file }}{{ end -}}
{{- end -}}
{{- end -}}
{{- if not $known -}}
{{- fail (printf "services.gateway.oidc.issuer '%s' is not one of auth.issuers: the gateway verifies who signed in with the issuers file" $issuer) -}}
{{- end -}}
{{- end -}}
{{- if not $oidc.clientId }}{{ fail "services.gateway.oidc.clientId is empty: the gateway's client at the identity provider" }}{{ end -}}
{{- if and $oidc.clientSecret.existingSecret (not $oidc.clientSecret.key) }}{{ fail "services.gateway.oidc.clientSecret.key is empty: the key of the client secret in existingSecret" }}{{ end -}}
GATEWAY_PUBLIC_URL: {{ printf "https://%s" $host | quote }}
{{- if $issuer }}
GATEWAY_OIDC_ISSUER: {{ $issuer | quote }}
{{- end }}
GATEWAY_OIDC_CLIENT_ID: {{ $oidc.clientId | quote }}
{{- if $oidc.clientSecret.existingSecret }}
GATEWAY_OIDC_CLIENT_SECRET_FILE: "/etc/advocacy/gateway/oidc-client-secret"
{{- end }}
{{- if include "advocacy.gatewayAnonymousKey" $root }}
GATEWAY_ANONYMOUS_CLIENT_ID: {{ required "services.gateway.anonymous.clientId is empty" $gw.anonymous.clientId | quote }}
GATEWAY_ANONYMOUS_CLIENT_SECRET_FILE: "/etc/advocacy/gateway/anonymous-client-secret"
{{- end }}
{{- with $caFile }}
GATEWAY_OIDC_CA_FILE: {{ . | quote }}
{{- end }}
GATEWAY_SESSION_IDLE_S: {{ $s.idleSeconds | int | quote }}
GATEWAY_SESSION_MAX_S: {{ $s.maxSeconds | int | quote }}
GATEWAY_SESSION_RATE: {{ $s.ratePerSecond | int | quote }}
GATEWAY_SESSION_BURST: {{ $s.burst | int | quote }}
GATEWAY_LOGIN_RATE: {{ $s.loginRatePerSecond | int | quote }}
{{- end -}}
