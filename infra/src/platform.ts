/**
 * The whole platform of one stack: the target (Kubernetes namespaces or Docker networks), then one
 * ComponentResource per concern. `infra/index.ts` runs it under the Pulumi CLI; `planStack`
 * (`./plan.ts`) runs it under mocks for the tests and the policy plan check.
 */
import * as docker from '@pulumi/docker';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { InfraConfig, StackName } from './config.js';
import { AppServices } from './components/app-services.js';
import { Logging } from './components/logging.js';
import { MongoDb } from './components/mongodb.js';
import { Monitoring } from './components/monitoring.js';
import { NetworkSegmentation } from './components/network.js';
import { Nsq } from './components/nsq.js';
import { Ollama } from './components/ollama.js';
import { PlatformSecrets } from './components/secrets.js';
import { Tls } from './components/tls.js';
import { LABEL, MONITORING_NAMESPACE, PART_OF } from './conventions.js';
import type { ComponentBaseArgs, Target } from './types.js';

/** Stack outputs (`pulumi stack output`). */
export interface PlatformOutputs {
  stack: StackName;
  target: InfraConfig['target'];
  reviewApiUrl: pulumi.Output<string>;
  costApiUrl: pulumi.Output<string>;
  grafanaUrl: pulumi.Output<string>;
  image: pulumi.Output<string>;
}

/** Creates the provider and the namespaces (Kubernetes) or the provider (Docker). */
function createTarget(stack: StackName, config: InfraConfig): Target {
  if (config.target === 'kubernetes') {
    // The cluster: `pulumi config set kubernetes:context <ctx>` when set (an explicit provider does
    // not read `kubernetes:*` config by itself), else the kubeconfig's current context.
    const context = new pulumi.Config('kubernetes').get('context');
    const provider = new k8s.Provider('k8s', { enableServerSideApply: true, ...(context ? { context } : {}) });
    const labels = { [LABEL.partOf]: PART_OF, [LABEL.managedBy]: 'pulumi' };
    const namespaces = [config.namespace, MONITORING_NAMESPACE].map(
      (name) =>
        new k8s.core.v1.Namespace(`ns-${name}`, { metadata: { name, labels: { ...labels, 'kubernetes.io/metadata.name': name } } }, { provider }),
    );
    return { kind: 'kubernetes', provider, namespace: config.namespace, monitoringNamespace: MONITORING_NAMESPACE, namespaces };
  }
  const provider = new docker.Provider('docker', {});
  // Networks are the network component's concern; it creates them first (see below).
  return { kind: 'docker', provider } as unknown as Target;
}

/**
 * Declares every resource of the stack.
 *
 * @param config the validated stack config (`loadInfraConfig`).
 * @returns the stack outputs.
 */
export function createPlatform(config: InfraConfig): PlatformOutputs {
  const stack = pulumi.getStack() as StackName;
  let target = createTarget(stack, config);
  const base = (): ComponentBaseArgs => ({ stack, config, target });

  // Network first: on Docker it creates the networks every container joins. On Kubernetes it
  // declares the NetworkPolicies and the Ingress (TLS Secret names are fixed: TLS_SECRET).
  const network = new NetworkSegmentation('network', { ...base() });
  if (target.kind === 'docker') target = { ...target, ...network.dockerNetworks() };

  const secrets = new PlatformSecrets('secrets', { ...base() });
  const tls = new Tls('tls', { ...base() });
  const mongodb = new MongoDb('mongodb', { ...base(), secrets });
  const nsq = new Nsq('nsq', { ...base() });
  const ollama = new Ollama('ollama', { ...base() });
  const services = new AppServices('services', { ...base(), secrets, tls, dependsOn: [mongodb, nsq, ollama] });
  // Logging before Monitoring: Grafana is provisioned with Loki's datasource beside Prometheus.
  const logging = new Logging('logging', { ...base() });
  const monitoring = new Monitoring('monitoring', { ...base(), secrets, logging });

  return {
    stack,
    target: config.target,
    reviewApiUrl: services.reviewApiUrl,
    costApiUrl: services.costApiUrl,
    grafanaUrl: monitoring.grafanaUrl,
    image: services.imageRef,
  };
}
