// How the operator is installed, generated from code as upstream's release manifest is built from
// config/: the `cnpg-system` Namespace, the `cnpg-manager` ServiceAccount, ClusterRole and binding,
// and the `cnpg-controller-manager` Deployment running `/manager controller`. The same objects run
// the operator on Kubernetes and, as a pod, on the local runtime (`cnpg local up`).
import type {
  KubernetesObject,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1Deployment,
  V1Namespace,
  V1PolicyRule,
  V1Probe,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { GROUP } from '../../api/v1/kind-definition.ts';
import { LABELS, MANAGER_NAME } from '../specs/labels.ts';
import { OPERATOR_IMAGE } from './version.ts';

export const OPERATOR_NAMESPACE = 'cnpg-system';
export const OPERATOR_SERVICE_ACCOUNT = 'cnpg-manager';
export const OPERATOR_CLUSTER_ROLE = 'cnpg-manager';
export const OPERATOR_CLUSTER_ROLE_BINDING = 'cnpg-manager-rolebinding';
export const OPERATOR_DEPLOYMENT = 'cnpg-controller-manager';
export const OPERATOR_CONTAINER = 'manager';
/** `cnpg controller --health-probe-bind-address` default: controller-runtime's :8081. */
export const OPERATOR_HEALTH_PORT = 8081;
/** `cnpg controller --metrics-bind-address` default: upstream's :8080, the container port `metrics`. */
export const OPERATOR_METRICS_PORT = 8080;

const APP_LABEL = { [LABELS.appName]: MANAGER_NAME };

export interface InstallOptions {
  /** The operator image (default: this release's). */
  image?: string;
}

export function operatorNamespace(): V1Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: OPERATOR_NAMESPACE, labels: { ...APP_LABEL } } };
}

export function operatorServiceAccount(): V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: OPERATOR_SERVICE_ACCOUNT, namespace: OPERATOR_NAMESPACE },
  };
}

const rule = (apiGroup: string, resources: string[], verbs: string[]): V1PolicyRule => ({
  apiGroups: [apiGroup],
  resources,
  verbs,
});

const CRUD = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS = ['get', 'patch', 'update'];

/** Upstream's `manager` ClusterRole (1.30), plus what this implementation reads besides. */
export function operatorRules(): V1PolicyRule[] {
  return [
    rule('', ['configmaps', 'secrets', 'services'], CRUD),
    rule('', ['configmaps/status', 'secrets/status'], STATUS),
    rule('', ['events'], ['create', 'patch']),
    rule('', ['nodes'], ['get', 'list', 'watch']),
    rule('', ['persistentvolumeclaims', 'pods', 'pods/exec'], ['create', 'delete', 'get', 'list', 'patch', 'watch']),
    // Ours: the reason a bootstrap Job failed is the last line its pod wrote.
    rule('', ['pods/log'], ['get']),
    rule('', ['pods/status'], ['get']),
    rule('', ['serviceaccounts'], ['create', 'get', 'list', 'patch', 'update', 'watch']),
    rule(
      'admissionregistration.k8s.io',
      ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'],
      ['get', 'patch'],
    ),
    rule('apps', ['deployments'], CRUD),
    rule('batch', ['jobs'], ['create', 'delete', 'get', 'list', 'patch', 'watch']),
    rule('coordination.k8s.io', ['leases'], ['create', 'get', 'update']),
    rule('monitoring.coreos.com', ['podmonitors'], ['create', 'delete', 'get', 'list', 'patch', 'watch']),
    rule('policy', ['poddisruptionbudgets'], CRUD),
    rule(
      GROUP,
      ['backups', 'clusters', 'databases', 'poolers', 'publications', 'scheduledbackups', 'subscriptions'],
      CRUD,
    ),
    rule(GROUP, ['failoverquorums'], ['create', 'delete', 'get', 'list', 'watch']),
    rule(
      GROUP,
      ['backups/status', 'databases/status', 'publications/status', 'scheduledbackups/status', 'subscriptions/status'],
      STATUS,
    ),
    rule(GROUP, ['clusterimagecatalogs', 'imagecatalogs'], ['get', 'list', 'watch']),
    rule(GROUP, ['clusters/finalizers', 'poolers/finalizers'], ['update']),
    rule(GROUP, ['clusters/status', 'poolers/status', 'failoverquorums/status'], [...STATUS, 'watch']),
    rule('rbac.authorization.k8s.io', ['rolebindings', 'roles'], ['create', 'get', 'list', 'patch', 'update', 'watch']),
    rule('snapshot.storage.k8s.io', ['volumesnapshots'], ['create', 'get', 'list', 'patch', 'watch']),
  ];
}

export function operatorClusterRole(): V1ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: OPERATOR_CLUSTER_ROLE },
    rules: operatorRules(),
  };
}

export function operatorClusterRoleBinding(): V1ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: OPERATOR_CLUSTER_ROLE_BINDING },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR_CLUSTER_ROLE },
    subjects: [{ kind: 'ServiceAccount', name: OPERATOR_SERVICE_ACCOUNT, namespace: OPERATOR_NAMESPACE }],
  };
}

function healthProbe(path: string): V1Probe {
  return { httpGet: { path, port: OPERATOR_HEALTH_PORT, scheme: 'HTTP' } };
}

export function operatorDeployment(opts: InstallOptions = {}): V1Deployment {
  const image = opts.image ?? OPERATOR_IMAGE;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: OPERATOR_DEPLOYMENT, namespace: OPERATOR_NAMESPACE, labels: { ...APP_LABEL } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { ...APP_LABEL } },
      template: {
        metadata: { labels: { ...APP_LABEL } },
        spec: {
          serviceAccountName: OPERATOR_SERVICE_ACCOUNT,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: OPERATOR_CONTAINER,
              image,
              command: ['/manager'],
              args: ['controller', '--leader-elect', '--max-concurrent-reconciles=10', `--operator-image=${image}`],
              ports: [
                { containerPort: OPERATOR_METRICS_PORT, name: 'metrics', protocol: 'TCP' },
                { containerPort: OPERATOR_HEALTH_PORT, name: 'health', protocol: 'TCP' },
              ],
              env: [
                { name: 'OPERATOR_IMAGE_NAME', value: image },
                { name: 'OPERATOR_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              resources: {
                limits: { cpu: '100m', memory: '200Mi' },
                requests: { cpu: '100m', memory: '100Mi' },
              },
              livenessProbe: healthProbe('/healthz'),
              readinessProbe: healthProbe('/readyz'),
              startupProbe: { ...healthProbe('/readyz'), failureThreshold: 6, periodSeconds: 5 },
              volumeMounts: [{ mountPath: '/controller', name: 'scratch-data' }],
              securityContext: {
                runAsUser: 10001,
                runAsGroup: 10001,
                readOnlyRootFilesystem: true,
                allowPrivilegeEscalation: false,
                seccompProfile: { type: 'RuntimeDefault' },
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
          volumes: [{ name: 'scratch-data', emptyDir: {} }],
          terminationGracePeriodSeconds: 10,
        },
      },
    },
  };
}

/** Everything but the CRDs, in the order they must be applied. */
export function operatorManifests(opts: InstallOptions = {}): KubernetesObject[] {
  return [
    operatorNamespace(),
    operatorServiceAccount(),
    operatorClusterRole(),
    operatorClusterRoleBinding(),
    operatorDeployment(opts),
  ];
}

/** Multi-document YAML, each document introduced by `---`, as the CRD files are written. */
export function manifestsYaml(objects: KubernetesObject[]): string {
  return objects.map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`).join('');
}

/** The committed copies under config/ (paths relative to it) and what each holds. */
export function configFiles(): { path: string; objects: KubernetesObject[] }[] {
  return [
    { path: 'manager/manager.yaml', objects: [operatorNamespace(), operatorDeployment()] },
    { path: 'rbac/service_account.yaml', objects: [operatorServiceAccount()] },
    { path: 'rbac/role.yaml', objects: [operatorClusterRole()] },
    { path: 'rbac/role_binding.yaml', objects: [operatorClusterRoleBinding()] },
  ];
}
