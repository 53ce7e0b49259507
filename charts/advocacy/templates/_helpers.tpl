{{/*
Names are "<release>-<service>" ("advocacy-consent" for a release named advocacy, as in
deploy/k8s). Labels follow the Kubernetes recommended labels; helm.sh/chart and
app.kubernetes.io/managed-by are the only ones deploy/k8s does not set (check.sh ignores them).
*/}}

{{- define "advocacy.chart" -}}
{{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Labels of an object: (dict "root" $ "name" "consent" "component" "service") */}}
{{- define "advocacy.labels" -}}
{{- if .name }}
app.kubernetes.io/name: {{ .name }}
{{- end }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: advocacy
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{/* The same plus the Helm bookkeeping labels, for an object's metadata. */}}
{{- define "advocacy.metaLabels" -}}
{{ include "advocacy.labels" . }}
helm.sh/chart: {{ include "advocacy.chart" .root }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{- define "advocacy.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* The image of a service: (dict "root" $ "svc" $svc) */}}
{{- define "advocacy.image" -}}
{{- $registry := .root.Values.image.registry -}}
{{- $tag := .svc.image.tag | default .root.Values.image.tag -}}
{{- if $registry }}{{ $registry }}/{{ end }}{{ .svc.image.repository }}:{{ $tag }}
{{- end -}}

{{/* Hardened security contexts shared by every workload. */}}
{{- define "advocacy.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
{{- if .fsGroup }}
fsGroup: 65532
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "advocacy.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* The enabled services that apply consent changes and send receipts, comma-separated
     ("none" when neither runs). */}}
{{- define "advocacy.propagationServices" -}}
{{- $out := list -}}
{{- if .Values.services.content.enabled }}{{ $out = append $out "content" }}{{ end -}}
{{- if .Values.services.notifications.enabled }}{{ $out = append $out "notifications" }}{{ end -}}
{{- if $out }}{{ join "," $out }}{{ else }}none{{ end -}}
{{- end -}}

{{/*
The keys of a Kafka credentials Secret, as the items of a secret volume (config.kafkaSecurityProtocol
says which): SSL tls.crt, tls.key, ca.crt; SASL_SSL ca.crt, password (and client.properties for the
admin, which the Job's Kafka tools read). Called with (dict "root" $ "admin" true|false).
*/}}
{{- define "advocacy.kafkaSecretItems" -}}
{{- if eq .root.Values.config.kafkaSecurityProtocol "SSL" -}}
- key: tls.crt
  path: tls.crt
- key: tls.key
  path: tls.key
- key: ca.crt
  path: ca.crt
{{- else -}}
- key: ca.crt
  path: ca.crt
- key: password
  path: password
{{- if .admin }}
- key: client.properties
  path: client.properties
{{- end }}
{{- end -}}
{{- end -}}
