/**
 * The policy pack's contents: its name, version, default enforcement level and every policy, in
 * checklist order. Building a `PolicyPack` starts the analyzer's gRPC server, so this module only
 * lists the policies; `policies/index.ts` constructs the pack, and the tests and
 * `npm run policy:check` evaluate the same list in-process (`./evaluate.ts`).
 */
import { readFileSync } from 'node:fs';
import type { EnforcementLevel } from '@pulumi/policy';
import type { PackPolicy } from './lib/policy.js';
import { alertmanagerReceivers } from './rules/alertmanager-receivers.js';
import { dockerContainerAnthropicKeySecret } from './rules/docker-container-anthropic-key-secret.js';
import { dockerContainerApiTls } from './rules/docker-container-api-tls.js';
import { dockerContainerEnvSecrets } from './rules/docker-container-env-secrets.js';
import { dockerContainerHealthcheck } from './rules/docker-container-healthcheck.js';
import { dockerContainerLogRotation } from './rules/docker-container-log-rotation.js';
import { dockerContainerMongodbAuth } from './rules/docker-container-mongodb-auth.js';
import { dockerContainerNoDefaultPasswords } from './rules/docker-container-no-default-passwords.js';
import { dockerContainerOllamaHealth } from './rules/docker-container-ollama-health.js';
import { dockerContainerPersistentVolume } from './rules/docker-container-persistent-volume.js';
import { dockerContainerPublishedPorts } from './rules/docker-container-published-ports.js';
import { dockerContainerResources } from './rules/docker-container-resources.js';
import { dockerContainerRestartPolicy } from './rules/docker-container-restart-policy.js';
import { dockerContainerWorkerReplicas } from './rules/docker-container-worker-replicas.js';
import { grafanaDashboards } from './rules/grafana-dashboards.js';
import { grafanaDatasourcePrometheus } from './rules/grafana-datasource-prometheus.js';
import { kubernetesCertificateApis } from './rules/kubernetes-certificate-apis.js';
import { kubernetesCertificateIssuerNotAcme } from './rules/kubernetes-certificate-issuer-not-acme.js';
import { kubernetesCertificateValidity } from './rules/kubernetes-certificate-validity.js';
import { kubernetesConfigMapNoSecrets } from './rules/kubernetes-configmap-no-secrets.js';
import { kubernetesCronJobMongodbBackup } from './rules/kubernetes-cronjob-mongodb-backup.js';
import { kubernetesDeploymentWorkerAutoscaling } from './rules/kubernetes-deployment-worker-autoscaling.js';
import { kubernetesDeploymentWorkerReplicas } from './rules/kubernetes-deployment-worker-replicas.js';
import { kubernetesHelmValuesNoSecrets } from './rules/kubernetes-helm-values-no-secrets.js';
import { kubernetesIngressApiOnly } from './rules/kubernetes-ingress-api-only.js';
import { kubernetesJobMongodbIndexes } from './rules/kubernetes-job-mongodb-indexes.js';
import { kubernetesJobNsqTopics } from './rules/kubernetes-job-nsq-topics.js';
import { kubernetesNetworkPolicyDefaultDeny } from './rules/kubernetes-networkpolicy-default-deny.js';
import { kubernetesPodNoBarePods } from './rules/kubernetes-pod-no-bare-pods.js';
import { kubernetesPodDisruptionBudgetAllowsDisruption } from './rules/kubernetes-poddisruptionbudget-allows-disruption.js';
import { kubernetesSecretNoDefaultPasswords } from './rules/kubernetes-secret-no-default-passwords.js';
import { kubernetesServiceDataTierInternal } from './rules/kubernetes-service-data-tier-internal.js';
import { kubernetesServiceType } from './rules/kubernetes-service-type.js';
import { kubernetesStatefulSetMongodbAuth } from './rules/kubernetes-statefulset-mongodb-auth.js';
import { kubernetesStatefulSetMongodbReplicas } from './rules/kubernetes-statefulset-mongodb-replicas.js';
import { kubernetesStatefulSetNsqdReplicas } from './rules/kubernetes-statefulset-nsqd-replicas.js';
import { kubernetesStatefulSetNsqlookupdReplicas } from './rules/kubernetes-statefulset-nsqlookupd-replicas.js';
import { kubernetesWorkloadAnthropicKeySecret } from './rules/kubernetes-workload-anthropic-key-secret.js';
import { kubernetesWorkloadEnvSecrets } from './rules/kubernetes-workload-env-secrets.js';
import { kubernetesWorkloadOllamaGpu } from './rules/kubernetes-workload-ollama-gpu.js';
import { kubernetesWorkloadOllamaHealth } from './rules/kubernetes-workload-ollama-health.js';
import { kubernetesWorkloadOllamaStorage } from './rules/kubernetes-workload-ollama-storage.js';
import { kubernetesWorkloadPersistentStorage } from './rules/kubernetes-workload-persistent-storage.js';
import { kubernetesWorkloadProbes } from './rules/kubernetes-workload-probes.js';
import { kubernetesWorkloadResources } from './rules/kubernetes-workload-resources.js';
import { loggingRetentionDays } from './rules/logging-retention-days.js';
import { ollamaModelsPulled } from './rules/ollama-models-pulled.js';
import { platformWorkloadsDeployed } from './rules/platform-workloads-deployed.js';
import { prometheusAlertRulesCount } from './rules/prometheus-alert-rules-count.js';
import { prometheusAlertmanagerIntegration } from './rules/prometheus-alertmanager-integration.js';
import { prometheusRetentionDays } from './rules/prometheus-retention-days.js';
import { prometheusScrapeJobs } from './rules/prometheus-scrape-jobs.js';
import { tlsCertRequestDnsNames } from './rules/tls-certrequest-dns-names.js';
import { tlsLocallySignedCertValidity } from './rules/tls-locallysignedcert-validity.js';

/** Policy pack name (`pulumi preview --policy-pack policies` prints it with the version). */
export const PACK_NAME = 'enrichment-platform-checklist';

/** The pack's version: `policies/package.json` `version` (the field `PolicyPack` itself reads). */
export const PACK_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * Default enforcement level of every policy: mandatory, the prod setting. Other stacks relax
 * prod-only figures through `policies/config/<stack>.json` (`--policy-pack-config`).
 */
export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = 'mandatory';

/** The checklist area of each policy, in checklist order (README table, reports). */
export const POLICY_GROUPS: { title: string; policies: PackPolicy[] }[] = [
  {
    title: 'Workloads',
    policies: [
      kubernetesWorkloadResources,
      kubernetesWorkloadProbes,
      kubernetesPodNoBarePods,
      kubernetesPodDisruptionBudgetAllowsDisruption,
      kubernetesDeploymentWorkerReplicas,
      kubernetesDeploymentWorkerAutoscaling,
      dockerContainerResources,
      dockerContainerHealthcheck,
      dockerContainerRestartPolicy,
      dockerContainerWorkerReplicas,
      platformWorkloadsDeployed,
    ],
  },
  {
    title: 'Data',
    policies: [
      kubernetesStatefulSetMongodbAuth,
      dockerContainerMongodbAuth,
      kubernetesStatefulSetMongodbReplicas,
      kubernetesWorkloadPersistentStorage,
      dockerContainerPersistentVolume,
      kubernetesCronJobMongodbBackup,
      kubernetesJobMongodbIndexes,
    ],
  },
  {
    title: 'Queue',
    policies: [
      kubernetesStatefulSetNsqlookupdReplicas,
      kubernetesStatefulSetNsqdReplicas,
      kubernetesJobNsqTopics,
    ],
  },
  {
    title: 'LLM',
    policies: [
      kubernetesWorkloadOllamaStorage,
      kubernetesWorkloadOllamaGpu,
      kubernetesWorkloadOllamaHealth,
      dockerContainerOllamaHealth,
      ollamaModelsPulled,
    ],
  },
  {
    title: 'Secrets',
    policies: [
      kubernetesWorkloadEnvSecrets,
      dockerContainerEnvSecrets,
      kubernetesConfigMapNoSecrets,
      kubernetesHelmValuesNoSecrets,
      kubernetesSecretNoDefaultPasswords,
      dockerContainerNoDefaultPasswords,
      kubernetesWorkloadAnthropicKeySecret,
      dockerContainerAnthropicKeySecret,
    ],
  },
  {
    title: 'TLS',
    policies: [
      kubernetesCertificateValidity,
      kubernetesCertificateIssuerNotAcme,
      kubernetesCertificateApis,
      tlsLocallySignedCertValidity,
      tlsCertRequestDnsNames,
    ],
  },
  {
    title: 'Network',
    policies: [
      kubernetesServiceType,
      kubernetesServiceDataTierInternal,
      kubernetesIngressApiOnly,
      kubernetesNetworkPolicyDefaultDeny,
      dockerContainerPublishedPorts,
      dockerContainerApiTls,
    ],
  },
  {
    title: 'Monitoring',
    policies: [
      prometheusRetentionDays,
      prometheusAlertRulesCount,
      prometheusScrapeJobs,
      prometheusAlertmanagerIntegration,
      alertmanagerReceivers,
      grafanaDashboards,
      grafanaDatasourcePrometheus,
    ],
  },
  {
    title: 'Logging',
    policies: [loggingRetentionDays, dockerContainerLogRotation],
  },
];

/** Every policy of the pack. */
export const POLICIES: PackPolicy[] = POLICY_GROUPS.flatMap((g) => g.policies);
