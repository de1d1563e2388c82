// Public API of cdk8s-agent-platform. This file only re-exports.
export { PROFILE_DEFAULTS, profileSchema, type Profile, type ProfileDefaults } from './core/profile.js';
export { parseQuantity, formatBytes, formatCpu } from './core/quantity.js';
export { parseImage, isMutableImage, type ImageRef } from './core/image.js';
export { DEFAULT_IMAGES, defaultImage, postgresClientImage, renderImage, type DefaultImage, type DefaultImageName } from './core/images.js';
export { looksLikeSecretName } from './core/secret-names.js';
export {
  AgentNamespace,
  AgentNamespaceIds,
  AgentNamespacePropsSchema,
  API_ACCESS_LABEL,
  type AgentNamespaceProps,
  type ApiServerEgress,
  type ContainerLimitRange,
  type DnsTarget,
  type NamespaceQuota,
} from './namespace/agent-namespace.js';
export { SecureAgentDeployment, SecureAgentDeploymentIds, SHUTDOWN_ENV, type ExtraContainerOptions } from './workload/secure-agent-deployment.js';
export {
  SecureAgentDeploymentPropsSchema,
  type AgentServiceOptions,
  type AgentSandboxOptions,
  type ApiAccessOptions,
  type AutoscalingOptions,
  type ConfigFilesOptions,
  type DisruptionBudgetOptions,
  type MetricsOptions,
  type PersistentVolumeOptions,
  type PreStopHook,
  type RollingUpdateOptions,
  type RunAsOptions,
  type ExecSleepPreStop,
  type NoPreStop,
  type PodsMetric,
  type ScalingBehavior,
  type ScalingPolicy,
  type ScalingRules,
  type ScratchVolume,
  type SecretVolume,
  type SecureAgentDeploymentProps,
  type ShutdownOptions,
} from './workload/secure-agent-deployment-props.js';
export type {
  ContainerPortOptions,
  EnvFromConfigMap,
  EnvFromField,
  EnvFromResource,
  EnvFromSecret,
  EnvFromSource,
  EnvValue,
  ExplicitResources,
  KeyReference,
  ProbeOptions,
  ResourceFieldReference,
  Resources,
  ResourceSet,
  TolerationOptions,
  VolumeMountOptions,
} from './workload/container.js';
export { SIZING_PRESETS, type SizingPreset } from './workload/sizing.js';
export { EnvConfig, EnvConfigIds, EnvConfigPropsSchema, type EnvConfigProps } from './workload/env-config.js';
export { namespaceReference, type NamespaceReference } from './namespace/namespace-reference.js';
export {
  ExternalSecretRef,
  ExternalSecretRefIds,
  ExternalSecretRefPropsSchema,
  type ExternalSecretKey,
  type ExternalSecretRefProps,
  type SecretStoreReference,
} from './secrets/external-secret-ref.js';
export {
  DEFAULT_MONITORING_SOURCE,
  INGRESS_SOURCE_PRESETS,
  NAMESPACE_NAME_LABEL,
  NON_PUBLIC_IPV4,
  internetEgress,
  type CidrEgressRule,
  type EgressRule,
  type EgressRuleOptions,
  type NetworkPortOptions,
  type PodEgressRule,
  type PodPeer,
} from './network/peers.js';
export {
  KNOWN_NGINX_ANNOTATIONS,
  type Exposure,
  type ExposureOptions,
  type GatewayReference,
  type HttpRouteExposure,
  type IngressExposure,
  type IngressTls,
  type RateLimitOptions,
} from './exposure/exposure.js';
export { enableVerification, formatFinding, type VerificationOptions } from './validation/synth.js';
export { PropsValidationError, ReportedError, SynthError } from './validation/report.js';
export { runApp, type RunIo } from './app/run.js';
export {
  parseCustomResourceDefinitions,
  readCustomResourceDefinitions,
  type CustomResource,
  type CustomResourceModel,
  type CustomResourceSchema,
  type OpenApiSchema,
} from './validation/schema/custom.js';
export { CRD_SOURCES, type CrdSource } from './crds/sources.js';
export { verify, type VerifyOptions, type VerifyReport } from './validation/verify.js';
export { isBlocking, type Finding, type KubernetesVersion, type Manifest, type Severity } from './validation/types.js';
export { AgentPlatformApp } from './app/agent-platform-app.js';

// --- Observability (issue 4): ServiceMonitor, alert rules and SLOs, dashboard, OpenTelemetry Collector, Fluent Bit ---
export {
  ObservabilityStack,
  ObservabilityStackIds,
  ObservabilityStackPropsSchema,
  type ObservabilityStackProps,
  type StackCollectorOptions,
  type StackDashboardOptions,
  type StackServiceMonitorOptions,
  type StackTracingOptions,
} from './observability/observability-stack.js';
export { AgentServiceMonitor, AgentServiceMonitorIds, AgentServiceMonitorPropsSchema, DEFAULT_DROPPED_LABELS, type AgentServiceMonitorProps, type ScrapeEndpointOptions } from './observability/service-monitor.js';
export {
  AlertRules,
  AlertRulesIds,
  AlertRulesPropsSchema,
  SEVERITIES,
  helmEscape,
  type Alert,
  type AlertOptions,
  type AlertRulesProps,
  type MetricSource,
  type RecordingRuleOptions,
  type RenderedGroup,
  type RenderedRule,
  type RequiredMetric,
  type AlertSeverity,
} from './observability/alert-rules.js';
export {
  agentAlerts,
  agentAlertsSchema,
  httpMetricNamesSchema, type AgentAlertsOptions,
  type CertificateExpiryAlertOptions,
  type ErrorRateAlertOptions,
  type ExporterScope,
  type HttpMetricNames,
  type HttpMetricNamesOptions,
  type LatencyAlertOptions,
  type LibraryAlertOptions,
  type PostgresAlertsOptions,
  type RateLimitAlertOptions,
  type RatioAlertOptions,
  type RedisAlertsOptions,
} from './observability/agent-alerts.js';
export { BURN_RATE_WINDOWS, sloRules, sloSchema, type AvailabilitySlo, type LatencySlo, type SloOptions } from './observability/slo.js';
export { AgentDashboard, AgentDashboardIds, AgentDashboardPropsSchema, GRAFANA_DASHBOARD_LABEL, type AgentDashboardProps, type DashboardPanel } from './observability/dashboard.js';
export {
  OtelCollector,
  OtelCollectorIds,
  OtelCollectorPropsSchema,
  OTEL_PORTS,
  REDACTED_KEY_PATTERN,
  REDACTED_VALUE_PATTERNS,
  collectorAlerts,
  type CollectorAlertsOptions,
  type CollectorMetricNames,
  type OtelCollectorProps,
  type CaBundleKey,
  type CaFromConfigMap,
  type CaFromSecret,
  type OtlpExportTls,
  type OtlpTraceExport,
  type WireAgentOptions,
} from './observability/otel-collector.js';
export {
  FluentBit,
  FluentBitIds,
  FluentBitPropsSchema,
  FLUENT_BIT_EXCEPTION_REASON,
  FLUENT_BIT_WAIVED_CHECKS,
  type ApiServerEndpoints,
  type ElasticsearchLogOutput,
  type FluentBitProps,
  type LogOutputCredentials,
  type LogOutputOptions,
  type LogOutputTls,
  type LogSecretKey,
  type LogShipperSecurityContext,
  type LokiLogOutput,
} from './observability/fluent-bit.js';
export { agentMetricsTarget, type MetricsTarget, type MetricsTargetPort } from './observability/metrics-target.js';
export { durationSeconds } from './observability/promql.js';

// Backup, restore and migrations (issue 5).
export { BackupCronJob, BackupCronJobIds } from './backup/backup-cronjob.js';
export {
  BackupCronJobPropsSchema,
  backupAlertingSchema,
  type BackupAlertingOptions,
  type BackupCronJobProps,
  type BackupPrometheusRuleOptions,
  type BackupTargetOptions,
} from './backup/backup-cronjob-props.js';
export { RestoreJob, RestoreJobIds } from './backup/restore-job.js';
export {
  RestoreJobPropsSchema,
  type FilesRestoreTarget,
  type RedisDataOptions,
  type RestoreJobProps,
  type RestoreSourceOptions,
  type RestoreVolumeSource,
} from './backup/restore-job-props.js';
export { type JobPodOptions } from './backup/job-props.js';
export { backupAlerts, staleAfterSeconds, type AlertSink, type BackupAlertInputs } from './backup/alerts.js';
export {
  backupExtension,
  engineImage,
  type CidrDestination,
  type Destination,
  type DestinationOptions,
  type Engine,
  type EngineOptions,
  type FilesEngineOptions,
  type PodsDestination,
  type PostgresEngineOptions,
  type RedisEngineOptions,
  type SecretKeyRef,
} from './backup/engines.js';
export {
  retentionSchema,
  s3TargetSchema,
  volumeTargetSchema,
  type Retention,
  type RetentionOptions,
  type S3CredentialsOptions,
  type S3Target,
  type S3TargetOptions,
  type VolumeClaimCreateOptions,
  type VolumeTargetOptions,
} from './backup/targets.js';
export { cronSchedule, isTimeZone, longestInterval, timeZoneName } from './backup/schedule.js';
export { MigrationJob, MigrationJobIds, MIGRATION_TTL_WAIVER_REASON } from './migration/migration-job.js';
export { MigrationJobPropsSchema, versionSlug, type JobRunAsOptions, type MigrationJobProps, type ScratchOptions } from './migration/migration-job-props.js';

// Data stores (issue 10): Redis/Valkey with Sentinel.
export { REDIS, type RedisFlavor } from './core/redis.js';
export { RedisStore, RedisStoreIds, type RedisBackupOptions, type RedisConnection, type RedisSentinelInfo } from './stores/redis-store.js';
export {
  MAXMEMORY_POLICIES,
  REDIS_EXPORTER_IMAGE,
  REDIS_TIERS,
  RedisStorePropsSchema,
  type RedisAlerting,
  type RedisAuth,
  type RedisSentinelOptions,
  type RedisStoreProps,
  type RedisTier,
  type RedisTls,
} from './stores/redis-store-props.js';
export type { StoreMonitoring, StoreResources, StoreStorage } from './stores/common.js';
export type { ConnectionEnvValue, IConnection, IServingWorkload, ServedPort } from './network/serving.js';
// Platform (issue 11): multi-path routing for one host.
export { HostRoutes, HostRoutesIds } from './platform/host-routes.js';
export { HostRoutesPropsSchema, type HostRoute, type HostRoutesProps, type HttpRouteRouting, type IngressRouting, type RoutingTls } from './exposure/host-routes-props.js';
export { StaticFrontend, StaticFrontendIds, STATIC_FRONTEND_CONFIG_DIR } from './platform/static-frontend.js';
export { StaticFrontendPropsSchema, type StaticFrontendProps } from './platform/static-frontend-props.js';
// Agent egress and isolation (issue 12): domain allow-lists per enforcement point, the egress proxy, the baseline.
export { DomainEgress, DomainEgressIds, type DomainEgressGrant, type DomainEgressRuleProps } from './egress/domain-egress.js';
export {
  DomainEgressPropsSchema,
  EgressProxyPropsSchema,
  type DomainEgressProps,
  type DomainEnforcement,
  type DnsPodsProps,
  type EgressProxyProps,
  type IDomainEgressClient,
} from './egress/domain-egress-props.js';
export { EgressProxy, EgressProxyIds, NO_PROXY } from './egress/egress-proxy.js';
export { EGRESS_BASELINE, publicEgress } from './egress/baseline.js';
export { domainMatches, parseDomain, type DomainPattern } from './egress/domains.js';
export { squidConfig, type SquidConfigOptions } from './egress/squid.js';
export { PostgresStore, PostgresStoreIds, POSTGRES_METRICS_PORT, POSTGRES_PORT, type PostgresConnection } from './stores/postgres-store.js';
export {
  POSTGRES_EXPORTER_IMAGE,
  POSTGRES_IMAGE,
  POSTGRES_TIERS,
  PostgresStorePropsSchema,
  dsnHasPassword,
  type PostgresAuth,
  type PostgresCnpgBackup,
  type PostgresCnpgOptions,
  type PostgresExternalOptions,
  type PostgresStoreProps,
  type PostgresTier,
  type StoreSecretKey,
} from './stores/postgres-store-props.js';
export { PgBouncer, PgBouncerIds, PGBOUNCER_PORT, renderPgBouncerIni } from './stores/pgbouncer.js';
export { PGBOUNCER_EXPORTER_IMAGE, PGBOUNCER_IMAGE, PgBouncerPropsSchema, type PgBouncerCidrDestination, type PgBouncerPodsDestination, type PgBouncerProps, type PgBouncerServer } from './stores/pgbouncer-props.js';
export { OpaServer, OpaServerIds, OPA_DIAGNOSTIC_PORT, OPA_PORT, OPA_TOKEN_ENV, renderOpaAuthzPolicy, renderOpaConfig } from './stores/opa-server.js';
export { OPA_IMAGE, OpaServerPropsSchema, type OpaBundleDestination, type OpaBundlePolicies, type OpaConfigMapPolicies, type OpaServerAuth, type OpaServerProps, type OpaServerTls } from './stores/opa-server-props.js';
export { OpaSidecar, OpaSidecarIds, OPA_CONFIG_CHECKSUM_ANNOTATION } from './stores/opa-sidecar.js';
export { OPA_CONTAINER, OPA_SIDECAR_RESOURCES, OpaSidecarPropsSchema, type OpaSidecarProps } from './stores/opa-sidecar-props.js';
export { CloudWorkloadIdentity, GKE_METADATA_EGRESS, STATIC_CLOUD_CREDENTIAL_ENV } from './security/cloud-identity.js';
export {
  CloudWorkloadIdentityPropsSchema,
  type AwsIdentityProps,
  type AzureIdentityProps,
  type CloudWorkloadIdentityProps,
  type GcpIdentityProps,
} from './security/cloud-identity-props.js';
export { AgentPlatformValidation, type AgentPlatformValidationProperties, type PluginValidationContext } from './validation/plugin.js';
export { AgentPlatform, AgentPlatformIds, type PlatformEdge } from './platform/agent-platform.js';
export {
  AgentPlatformPropsSchema,
  type AgentComponent,
  type AgentPlatformProps,
  type ExternalCidr,
  type ExternalComponent,
  type ExternalPods,
  type PlatformSecretKey,
  type FrontendComponent,
  type JobComponent,
  type PlatformComponent,
  type PlatformDependency,
  type PlatformHost,
  type PlatformPath,
  type ModelGatewayComponent,
  type StoreComponent,
  type StoreContext,
  type StoreFactory,
} from './platform/agent-platform-props.js';
export { applyOverrides, type AgentOverride, type ExternalOverride, type FrontendOverride, type ModelGatewayOverride, type PlatformOverrides, type StoreOverride } from './platform/variants.js';
export { buildTopology, renderMermaid, type DeclaredTopology, type Topology, type TopologyEdge, type TopologyNode } from './platform/topology.js';
export { NODE_COLORS, renderSvg } from './platform/topology-svg.js';
export { ModelGateway, ModelGatewayIds, liteLlmConfig } from './gateway/model-gateway.js';
export { MODEL_PROVIDERS, ModelGatewayPropsSchema, type ModelFallback, type ModelGatewayProps, type ModelProviderProps } from './gateway/model-gateway-props.js';
export { AGENTIC_NETWORKING_API_VERSION, McpServer, McpServerIds, mcpAccessPolicySpec, type McpGrant } from './gateway/mcp-server.js';
export {
  MCP_MAX_AGENTS,
  MCP_MAX_TOOLS,
  MCP_TOOL_NAME_PATTERN,
  McpServerPropsSchema,
  type McpConnectOptions,
  type McpEgressDomains,
  type McpServerProps,
  type McpToolGateway,
} from './gateway/mcp-server-props.js';
export { SandboxRuntimeClass, SandboxRuntimeClassIds } from './sandbox/runtime-class.js';
export { SANDBOX_RUNTIME_PRESETS, SandboxRuntimeClassPropsSchema, type RuntimeOverheadOptions, type SandboxRuntimeClassProps } from './sandbox/runtime-class-props.js';
export { AGENT_SANDBOX_API_VERSION, ToolSandbox, ToolSandboxIds } from './sandbox/tool-sandbox.js';
export { ToolSandboxPropsSchema, type SandboxEgressDomains, type ToolSandboxProps } from './sandbox/tool-sandbox-props.js';
