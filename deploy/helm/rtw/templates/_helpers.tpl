{{- define "rtw.labels" -}}
app.kubernetes.io/part-of: rtw
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Selector labels of one service: (dict "root" $ "name" "applications") */}}
{{- define "rtw.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: service
{{- end -}}

{{- define "rtw.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "rtw.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "rtw.publicUrl" -}}
{{- $url := required "publicUrl is required (https://…): cookies are Secure only over https" .Values.publicUrl -}}
{{- if not (hasPrefix "https://" $url) -}}
{{- fail (printf "publicUrl must start with https:// (got %q): cookies are Secure only over https" $url) -}}
{{- end -}}
{{- trimSuffix "/" $url -}}
{{- end -}}

{{- define "rtw.host" -}}
{{- default (include "rtw.publicUrl" . | trimPrefix "https://" | splitList "/" | first) .Values.ingress.host -}}
{{- end -}}

{{/* The Secret of one service, which must be named: the chart never makes one. */}}
{{- define "rtw.serviceSecret" -}}
{{- $service := index .root.Values.services .name -}}
{{- required (printf "services.%s.existingSecret is required: the name of a Secret you created with the keys %s and %s" .name .root.Values.secrets.keys.databaseUrl .root.Values.secrets.keys.amqpUrl) $service.existingSecret -}}
{{- end -}}

{{- define "rtw.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end -}}

{{/* Every variable a service's container (or its migration Job) reads. (dict "root" $ "name" …) */}}
{{- define "rtw.env" -}}
{{- $root := .root -}}
{{- $keys := $root.Values.secrets.keys -}}
{{- $secret := include "rtw.serviceSecret" . -}}
{{- $shared := required "secrets.shared is required: the name of a Secret you created with the key token-secret" $root.Values.secrets.shared -}}
- {name: RTW_PUBLIC_URL, value: {{ include "rtw.publicUrl" $root | quote }}}
- {name: RTW_SECURE_COOKIES, value: "true"}
- {name: RTW_TRUSTED_PROXY_HOPS, value: {{ $root.Values.config.trustedProxyHops | quote }}}
- {name: RTW_LOG_LEVEL, value: {{ $root.Values.config.logLevel | quote }}}
- {name: RTW_PUBLISHER_USER, value: {{ $root.Values.config.publisherUser | quote }}}
{{- if $root.Values.config.publisherUsers }}
- {name: RTW_PUBLISHER_USERS, value: {{ toJson $root.Values.config.publisherUsers | quote }}}
{{- end }}
{{- if $root.Values.config.otlpEndpoint }}
- {name: RTW_OTLP_ENDPOINT, value: {{ $root.Values.config.otlpEndpoint | quote }}}
{{- end }}
- {name: RTW_LOG_JSON, value: "true"}
- {name: RTW_HTTP_HOST, value: "0.0.0.0"}
- {name: RTW_HTTP_PORT, value: "8000"}
- {name: PYTHONDONTWRITEBYTECODE, value: "1"}
- {name: TMPDIR, value: /tmp}
{{- if has .name (list "applications" "assessment") }}
{{- $store := required "config.fileStoreUrl is required (s3://BUCKET?region=…): uploads must outlive a pod and be shared by its replicas" $root.Values.config.fileStoreUrl }}
{{- if not (hasPrefix "s3://" $store) }}
{{- fail (printf "config.fileStoreUrl must be an s3:// URL (got %q): the root filesystem is read-only and replicas share no disk" $store) }}
{{- end }}
- {name: RTW_FILE_STORE_URL, value: {{ $store | quote }}}
{{ include "rtw.secretEnv" (dict "env" "RTW_S3_ACCESS_KEY_ID" "secret" $secret "key" $keys.s3AccessKeyId "optional" true) }}
{{ include "rtw.secretEnv" (dict "env" "RTW_S3_SECRET_ACCESS_KEY" "secret" $secret "key" $keys.s3SecretAccessKey "optional" true) }}
{{- end }}
{{- range $variable, $value := $root.Values.config.extraEnv }}
- {name: {{ $variable }}, value: {{ $value | quote }}}
{{- end }}
{{ include "rtw.secretEnv" (dict "env" "RTW_DATABASE_URL" "secret" $secret "key" $keys.databaseUrl) }}
{{ include "rtw.secretEnv" (dict "env" "RTW_AMQP_URL" "secret" $secret "key" $keys.amqpUrl) }}
{{ include "rtw.secretEnv" (dict "env" "RTW_TOKEN_SECRET" "secret" $shared "key" $keys.tokenSecret) }}
{{- if eq .name "training" }}
{{ include "rtw.secretEnv" (dict "env" "RTW_CERTIFICATE_KEY" "secret" $secret "key" $keys.certificateKey) }}
{{- end }}
{{- if eq .name "notifications" }}
{{- $email := $root.Values.email }}
- {name: RTW_PORTAL_URL, value: {{ default (include "rtw.publicUrl" $root) $root.Values.portalUrl | quote }}}
- {name: RTW_EMAIL_BACKEND, value: {{ $email.backend | quote }}}
- {name: RTW_MAIL_FROM, value: {{ $email.mailFrom | quote }}}
{{- if eq $email.backend "smtp" }}
- {name: RTW_SMTP_HOST, value: {{ required "email.smtp.host is required with the smtp backend" $email.smtp.host | quote }}}
- {name: RTW_SMTP_PORT, value: {{ $email.smtp.port | quote }}}
- {name: RTW_SMTP_STARTTLS, value: {{ $email.smtp.starttls | quote }}}
{{- if $email.smtp.username }}
- {name: RTW_SMTP_USERNAME, value: {{ $email.smtp.username | quote }}}
{{ include "rtw.secretEnv" (dict "env" "RTW_SMTP_PASSWORD" "secret" $secret "key" $keys.smtpPassword) }}
{{- end }}
{{- else }}
- {name: RTW_NOTIFY_TEMPLATE_ID, value: {{ required "email.notify.templateId is required with the notify backend" $email.notify.templateId | quote }}}
{{ include "rtw.secretEnv" (dict "env" "RTW_NOTIFY_API_KEY" "secret" $secret "key" $keys.notifyApiKey) }}
{{ include "rtw.secretEnv" (dict "env" "RTW_NOTIFY_CALLBACK_TOKEN" "secret" $secret "key" $keys.notifyCallbackToken "optional" true) }}
{{- end }}
{{ include "rtw.secretEnv" (dict "env" "RTW_UNSUBSCRIBE_SECRET" "secret" $secret "key" $keys.unsubscribeSecret) }}
{{ include "rtw.secretEnv" (dict "env" "RTW_DLQ_AMQP_URL" "secret" $secret "key" $keys.dlqAmqpUrl "optional" true) }}
{{- end }}
{{- end -}}

{{/* The pod-level settings every pod of the chart shares (restricted pod security). */}}
{{- define "rtw.podSpecCommon" -}}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir: {sizeLimit: 256Mi}
{{- end -}}

{{/* One egress rule: (dict "rule" {to|namespaceSelector/podSelector} "ports" […] "protocols" […]).
     A rule without peers allows those ports to any destination: name the peers in production. */}}
{{- define "rtw.egressRule" -}}
- ports:
  {{- range $port := .ports }}
  {{- range $protocol := $.protocols }}
    - {port: {{ $port }}, protocol: {{ $protocol }}}
  {{- end }}
  {{- end }}
  {{- if .rule.to }}
  to:
    {{- toYaml .rule.to | nindent 4 }}
  {{- else if .rule.namespaceSelector }}
  to:
    - namespaceSelector:
        {{- toYaml .rule.namespaceSelector | nindent 8 }}
      {{- with .rule.podSelector }}
      podSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
  {{- end }}
{{- end -}}
