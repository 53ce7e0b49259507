{{/*
Every object of one service: ServiceAccount, ConfigMap, Deployment, Service, PodDisruptionBudget,
HorizontalPodAutoscaler, NetworkPolicy. Called by the per-service templates (consent.yaml, ...,
gateway.yaml) with (dict "root" $ "name" "consent"). The manifests mirror
deploy/k8s/base/<service>/; the comments that explain the choices are there.

What differs between services is in services.<name>:
  kafka: false        no Kafka at all (the gateway): no Kafka credentials, SASL user or egress
  grpcIngress: false  no ingress rule for the gRPC port (the gateway's own API is not called from
                      outside its pod); otherwise from networkPolicy.gatewayNamespaceLabels and
                      the pods of grpcClients
  http                a plain-HTTP port: name (port "http-<name>", or "http" without one), port,
                      listenEnv, and `from`: "ingressController" (networkPolicy.ingressController)
                      or, by default, networkPolicy.gatewayNamespaceLabels
  calls, mail         egress to other services' gRPC port; the notifications Secret and SMTP
  oidc                the gateway's sign-in (advocacy.gatewayConfig): its client-secret Secret
                      mounted at /etc/advocacy/gateway
*/}}
{{- define "advocacy.service" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- $svc := index $root.Values.services $name -}}
{{- $full := printf "%s-%s" $root.Release.Name $name -}}
{{- $ctx := dict "root" $root "name" $name "component" "service" -}}
{{- $resources := $svc.resources | default $root.Values.resources -}}
{{- $autoscaling := merge (dict) ($svc.autoscaling | default dict) $root.Values.autoscaling -}}
{{- $np := $root.Values.networkPolicy -}}
{{- $redis := $root.Values.redis -}}
{{- $tls := $root.Values.grpcTls -}}
{{- $kafka := true -}}
{{- if hasKey $svc "kafka" }}{{ $kafka = $svc.kafka }}{{ end -}}
{{- $grpcIngress := true -}}
{{- if hasKey $svc "grpcIngress" }}{{ $grpcIngress = $svc.grpcIngress }}{{ end -}}
{{- $oidcSecret := "" -}}
{{- with $svc.oidc }}{{ $oidcSecret = .clientSecret.existingSecret }}{{ end -}}
{{- if $svc.enabled }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $full }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "advocacy.metaLabels" $ctx | nindent 4 }}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $full }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "advocacy.metaLabels" $ctx | nindent 4 }}
data:
  {{- $data := dict "ADVOCACY_JWT_AUDIENCE" (include "advocacy.audience" $ctx) }}
  {{- range $k, $v := $svc.env }}
  {{- $_ := set $data $k (tpl (toString $v) $root) }}
  {{- end }}
  {{- if $svc.oidc }}
  {{- $data = merge $data (include "advocacy.gatewayConfig" $ctx | fromYaml) }}
  {{- end }}
  {{- range $k, $v := $data }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $full }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "advocacy.metaLabels" $ctx | nindent 4 }}
spec:
  {{- if not $autoscaling.enabled }}
  replicas: {{ $svc.replicas | default $root.Values.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "advocacy.selectorLabels" $ctx | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        {{- include "advocacy.labels" $ctx | nindent 8 }}
      annotations:
        # A changed setting rolls the pods (kustomize does it with hashed ConfigMap names).
        checksum/config: {{ printf "%s%s%s%s" (toYaml $root.Values.config) (toYaml $svc) (toYaml $root.Values.auth) (include "advocacy.audience" $ctx) | sha256sum }}
    spec:
      serviceAccountName: {{ $full }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $root.Values.terminationGracePeriodSeconds }}
      securityContext:
        {{- include "advocacy.podSecurityContext" (dict "fsGroup" true) | nindent 8 }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: {{ $root.Values.topologySpread.zone }}
          labelSelector:
            matchLabels:
              {{- include "advocacy.selectorLabels" $ctx | nindent 14 }}
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: {{ $root.Values.topologySpread.hostname }}
          labelSelector:
            matchLabels:
              {{- include "advocacy.selectorLabels" $ctx | nindent 14 }}
      containers:
        - name: {{ $name }}
          image: {{ include "advocacy.image" (dict "root" $root "svc" $svc) }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          ports:
            - name: grpc
              containerPort: 50051
              protocol: TCP
            - name: metrics
              containerPort: 9464
              protocol: TCP
            {{- if $tls.enabled }}
            - name: health
              containerPort: {{ $tls.healthPort }}
              protocol: TCP
            {{- end }}
            {{- with $svc.http }}
            - name: {{ include "advocacy.httpPortName" . }}
              containerPort: {{ .port }}
              protocol: TCP
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ $root.Release.Name }}-config
            - configMapRef:
                name: {{ $full }}
          env:
            {{- if $redis.tlsProxy.enabled }}
            # Redis through the TLS sidecar below, which listens on the pod's loopback only.
            - name: ADVOCACY_REDIS_URL
              value: {{ printf "redis://127.0.0.1:%v" $redis.tlsProxy.localPort | quote }}
            {{- else }}
            - name: ADVOCACY_REDIS_URL
              valueFrom:
                secretKeyRef:
                  name: {{ $root.Values.secrets.redis.name }}
                  key: url
            {{- end }}
            {{- if $redis.tls.enabled }}
            {{- if $redis.tlsProxy.enabled }}{{ fail "redis.tls and redis.tlsProxy are alternatives: enable one" }}{{ end }}
            # TLS to Redis by the service itself (rediss:// URL): the stack's CA and this
            # service's client certificate.
            - name: ADVOCACY_REDIS_TLS_CA_FILE
              value: /etc/advocacy/redis-tls/ca.crt
            - name: ADVOCACY_REDIS_TLS_CERT_FILE
              value: /etc/advocacy/redis-tls/tls.crt
            - name: ADVOCACY_REDIS_TLS_KEY_FILE
              value: /etc/advocacy/redis-tls/tls.key
            {{- with $redis.tls.serverName }}
            - name: ADVOCACY_REDIS_TLS_SERVER_NAME
              value: {{ . | quote }}
            {{- end }}
            {{- end }}
            {{- if $redis.aclUsers }}
            - name: ADVOCACY_REDIS_USERNAME
              value: {{ $name }}
            - name: ADVOCACY_REDIS_PASSWORD_FILE
              value: /etc/advocacy/redis/password
            {{- end }}
            - name: ADVOCACY_GRPC_LISTEN
              value: "0.0.0.0:50051"
            - name: ADVOCACY_METRICS_LISTEN
              value: "0.0.0.0:9464"
            {{- with $svc.http }}
            - name: {{ .listenEnv }}
              value: {{ printf "0.0.0.0:%v" .port | quote }}
            {{- end }}
            {{- if and $kafka (eq $root.Values.config.kafkaSecurityProtocol "SASL_SSL") }}
            - name: ADVOCACY_KAFKA_SASL_USERNAME
              value: {{ $name | quote }}
            {{- end }}
          {{- if $tls.enabled }}
          # The kubelet's gRPC probe cannot do TLS: the plain-HTTP probe port instead.
          readinessProbe:
            httpGet:
              path: /readyz
              port: health
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 2
          livenessProbe:
            httpGet:
              path: /healthz
              port: health
            initialDelaySeconds: 10
          {{- else }}
          readinessProbe:
            grpc:
              port: 50051
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 2
          livenessProbe:
            grpc:
              port: 50051
              service: liveness
            initialDelaySeconds: 10
          {{- end }}
            periodSeconds: 10
            timeoutSeconds: 2
            failureThreshold: 6
          lifecycle:
            preStop:
              exec:
                command: ["/bin/sleep", {{ $root.Values.preStopSleepSeconds | toString | quote }}]
          resources:
            {{- toYaml $resources | nindent 12 }}
          securityContext:
            {{- include "advocacy.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            {{- include "advocacy.authIssuersMount" $root | nindent 12 }}
            {{- if $redis.aclUsers }}
            - name: redis-auth
              mountPath: /etc/advocacy/redis
              readOnly: true
            {{- end }}
            {{- if $redis.tls.enabled }}
            - name: redis-tls
              mountPath: /etc/advocacy/redis-tls
              readOnly: true
            {{- end }}
            {{- if and $kafka (ne $root.Values.config.kafkaSecurityProtocol "PLAINTEXT") }}
            - name: kafka-tls
              mountPath: /etc/advocacy/kafka-tls
              readOnly: true
            {{- end }}
            {{- if $tls.enabled }}
            - name: grpc-tls
              mountPath: /etc/advocacy/grpc-tls
              readOnly: true
            {{- end }}
            {{- if $svc.mail }}
            - name: notifications-secrets
              mountPath: /etc/advocacy/notifications
              readOnly: true
            {{- end }}
            {{- if $oidcSecret }}
            - name: gateway-secrets
              mountPath: /etc/advocacy/gateway
              readOnly: true
            {{- end }}
            {{- with include "advocacy.authExtraMounts" $root | trim }}
            {{- . | nindent 12 }}
            {{- end }}
        {{- if $redis.tlsProxy.enabled }}
        # TLS to Redis (Debian 12's hiredis 0.14 has none): stunnel, client certificate of this
        # service, the server's certificate checked against ca.crt and tlsProxy.serverName.
        - name: redis-tls-proxy
          image: {{ printf "%s%s:%s" (ternary (printf "%s/" $root.Values.image.registry) "" (ne $root.Values.image.registry "")) $redis.tlsProxy.image.repository $redis.tlsProxy.image.tag }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: ["/etc/stunnel/stunnel.conf"]
          resources:
            {{- toYaml $redis.tlsProxy.resources | nindent 12 }}
          securityContext:
            {{- include "advocacy.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            - name: redis-tls-proxy-config
              mountPath: /etc/stunnel
              readOnly: true
            - name: redis-tls
              mountPath: /etc/stunnel/tls
              readOnly: true
        {{- end }}
      volumes:
        {{- include "advocacy.authIssuersVolume" $root | nindent 8 }}
        {{- if $redis.aclUsers }}
        - name: redis-auth
          secret:
            secretName: {{ printf "%s-%s" $root.Values.secrets.redis.passwordNamePrefix $name }}
            items:
              - key: password
                path: password
        {{- end }}
        {{- if $redis.tls.enabled }}
        - name: redis-tls
          secret:
            secretName: {{ printf "%s-%s" $redis.tls.secretNamePrefix $name }}
            items:
              - key: tls.crt
                path: tls.crt
              - key: tls.key
                path: tls.key
              - key: ca.crt
                path: ca.crt
        {{- end }}
        {{- if $redis.tlsProxy.enabled }}
        - name: redis-tls-proxy-config
          configMap:
            name: {{ $root.Release.Name }}-redis-tls-proxy
        - name: redis-tls
          secret:
            secretName: {{ printf "%s-%s" $redis.tlsProxy.secretNamePrefix $name }}
            items:
              - key: tls.crt
                path: tls.crt
              - key: tls.key
                path: tls.key
              - key: ca.crt
                path: ca.crt
        {{- end }}
        {{- if and $kafka (ne $root.Values.config.kafkaSecurityProtocol "PLAINTEXT") }}
        - name: kafka-tls
          secret:
            secretName: {{ printf "%s-%s" $root.Values.secrets.kafka.namePrefix $name }}
            items:
              {{- include "advocacy.kafkaSecretItems" (dict "root" $root "admin" false) | nindent 14 }}
        {{- end }}
        {{- if $tls.enabled }}
        - name: grpc-tls
          secret:
            secretName: {{ printf "%s-grpc-tls" $full }}
            items:
              - key: tls.crt
                path: tls.crt
              - key: tls.key
                path: tls.key
              - key: ca.crt
                path: ca.crt
        {{- end }}
        {{- if $svc.mail }}
        - name: notifications-secrets
          secret:
            secretName: {{ $root.Values.secrets.notifications.name }}
        {{- end }}
        {{- if $oidcSecret }}
        - name: gateway-secrets
          secret:
            secretName: {{ $oidcSecret }}
            items:
              - key: {{ $svc.oidc.clientSecret.key }}
                path: oidc-client-secret
              {{- if eq $name "gateway" }}{{ with include "advocacy.gatewayAnonymousKey" $root }}
              - key: {{ . }}
                path: anonymous-client-secret
              {{- end }}{{ end }}
        {{- end }}
        {{- with include "advocacy.authExtraVolumes" $root | trim }}
        {{- . | nindent 8 }}
        {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $full }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "advocacy.metaLabels" $ctx | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "advocacy.selectorLabels" $ctx | nindent 4 }}
  ports:
    - name: grpc
      port: 50051
      targetPort: grpc
      protocol: TCP
      {{- if not $tls.enabled }}
      appProtocol: kubernetes.io/h2c
      {{- end }}
    - name: metrics
      port: 9464
      targetPort: metrics
      protocol: TCP
    {{- with $svc.http }}
    - name: {{ include "advocacy.httpPortName" . }}
      port: {{ .port }}
      targetPort: {{ include "advocacy.httpPortName" . }}
      protocol: TCP
    {{- end }}
{{- if $root.Values.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $full }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "advocacy.metaLabels" $ctx | nindent 4 }}
spec:
  maxUnavailable: {{ $root.Values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "advocacy.selectorLabels" $ctx | nindent 6 }}
{{- end }}
{{- if $autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $full }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "advocacy.metaLabels" $ctx | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $full }}
  minReplicas: {{ $autoscaling.minReplicas }}
  maxReplicas: {{ $autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $autoscaling.targetCPUUtilizationPercentage }}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
      policies:
        - type: Pods
          value: 1
          periodSeconds: 60
{{- end }}
{{- if $np.enabled }}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ $full }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "advocacy.metaLabels" $ctx | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "advocacy.selectorLabels" $ctx | nindent 6 }}
  policyTypes: ["Ingress", "Egress"]
  ingress:
    {{- if $grpcIngress }}
    - ports:
        - port: 50051
          protocol: TCP
      from:
        - namespaceSelector:
            matchLabels:
              {{- toYaml $np.gatewayNamespaceLabels | nindent 14 }}
        {{- range $client := $svc.grpcClients }}
        {{- if (index $root.Values.services $client).enabled }}
        - podSelector:
            matchLabels:
              {{- include "advocacy.selectorLabels" (dict "root" $root "name" $client) | nindent 14 }}
        {{- end }}
        {{- end }}
    {{- end }}
    {{- with $svc.http }}
    - ports:
        - port: {{ .port }}
          protocol: TCP
      from:
        {{- if eq (.from | default "") "ingressController" }}
        {{- $ic := $np.ingressController }}
        {{- if not (or $ic.namespaceLabels $ic.podLabels) }}{{ fail "networkPolicy.ingressController needs namespaceLabels and/or podLabels: the ingress controller's pods" }}{{ end }}
        - {{- with $ic.namespaceLabels }}
          namespaceSelector:
            matchLabels:
              {{- toYaml . | nindent 14 }}
          {{- end }}
          {{- with $ic.podLabels }}
          podSelector:
            matchLabels:
              {{- toYaml . | nindent 14 }}
          {{- end }}
        {{- else }}
        - namespaceSelector:
            matchLabels:
              {{- toYaml $np.gatewayNamespaceLabels | nindent 14 }}
        {{- end }}
    {{- end }}
    - ports:
        - port: 9464
          protocol: TCP
      from:
        - namespaceSelector:
            matchLabels:
              {{- toYaml $np.monitoringNamespaceLabels | nindent 14 }}
  egress:
    - ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
    - ports:
        - port: {{ $np.redisPort }}
          protocol: TCP
        {{- if $kafka }}
        - port: {{ $np.kafkaPort }}
          protocol: TCP
        {{- end }}
    {{- include "advocacy.identityProviderEgress" $root | nindent 4 }}
    {{- range $callee := $svc.calls }}
    {{- if (index $root.Values.services $callee).enabled }}
    - ports:
        - port: 50051
          protocol: TCP
      to:
        - podSelector:
            matchLabels:
              {{- include "advocacy.selectorLabels" (dict "root" $root "name" $callee) | nindent 14 }}
    {{- end }}
    {{- end }}
    {{- if $svc.mail }}
    - ports:
        {{- range $port := $np.smtpPorts }}
        - port: {{ $port }}
          protocol: TCP
        {{- end }}
    {{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The name of a service's plain-HTTP port: "http-<name>", or "http" without a name. */}}
{{- define "advocacy.httpPortName" -}}
http{{ with .name }}-{{ . }}{{ end }}
{{- end -}}
