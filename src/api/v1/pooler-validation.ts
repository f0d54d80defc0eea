// The Pooler validating webhook: PgBouncer authentication settings, the parameter allow-list, the
// Cluster reference and metrics TLS, plus warnings for the manual integration and deprecated fields.
import type { AdmissionResult } from './admission-result.ts';
import { type FieldError, fieldErr, path } from './field-error.ts';
import { isAllowedPgBouncerParameter } from './pgbouncer-parameters.ts';
import type { Pooler } from './pooler-types.ts';

const named = (ref: { name: string } | undefined) => ref !== undefined && ref.name !== '';

/**
 * Whether the operator wires PgBouncer to the Cluster itself (auth user, auth_query, TLS secret).
 * Any of authQuery, authQuerySecret or serverTLSSecret means the user does it by hand.
 */
export function isAutomatedIntegration(pooler: Pooler): boolean {
  const pgb = pooler.spec.pgbouncer as Pooler['spec']['pgbouncer'] | undefined;
  if (pgb === undefined) return false;
  if ((pgb.authQuery ?? '') !== '') return false;
  if (named(pgb.serverTLSSecret)) return false;
  return !named(pgb.authQuerySecret);
}

function validatePgBouncer(pooler: Pooler): FieldError[] {
  // The schema requires pgbouncer, but objects built in code reach us too.
  const pgb = pooler.spec.pgbouncer as Pooler['spec']['pgbouncer'] | undefined;
  if (pgb === undefined) {
    return [fieldErr.invalid(path('spec', 'pgbouncer').text, '', 'required pgbouncer configuration')];
  }
  const errors: FieldError[] = [];
  const hasPGAuthentication = named(pgb.authQuerySecret) || named(pgb.serverTLSSecret);
  const authQuery = pgb.authQuery ?? '';
  if (hasPGAuthentication && authQuery === '') {
    errors.push(
      fieldErr.invalid(
        path('spec', 'pgbouncer', 'authQuery').text,
        '',
        'must specify an auth query when providing an auth query secret',
      ),
    );
  } else if (!hasPGAuthentication && authQuery !== '') {
    errors.push(
      fieldErr.invalid(
        path('spec', 'pgbouncer', 'authQuerySecret', 'name').text,
        '',
        'must specify an existing auth query secret when providing an auth query secret',
      ),
    );
  }
  for (const name of Object.keys(pgb.parameters ?? {})) {
    if (!isAllowedPgBouncerParameter(name)) {
      // Upstream reports these under spec.cluster.parameters; users see that path.
      errors.push(fieldErr.invalid(path('spec', 'cluster', 'parameters').text, name, 'Invalid or reserved parameter'));
    }
  }
  return errors;
}

function validateCluster(pooler: Pooler): FieldError[] {
  const errors: FieldError[] = [];
  const clusterName = pooler.spec.cluster.name;
  if (clusterName === '') {
    errors.push(fieldErr.invalid(path('spec', 'cluster', 'name').text, '', 'must specify a cluster name'));
  }
  const name = pooler.metadata?.name ?? '';
  if (clusterName === name) {
    errors.push(
      fieldErr.invalid(
        path('metadata', 'name').text,
        name,
        'the pooler resource cannot have the same name of a cluster',
      ),
    );
  }
  return errors;
}

/** A generated PodMonitor scraping over TLS needs the certificate the metrics endpoint serves. */
function validateMonitoring(pooler: Pooler): FieldError[] {
  const monitoring = pooler.spec.monitoring;
  if (monitoring?.tls?.enabled !== true || monitoring.enablePodMonitor !== true) return [];
  if (named(pooler.spec.pgbouncer?.clientTLSSecret)) return [];
  return [
    fieldErr.required(
      path('spec', 'pgbouncer', 'clientTLSSecret').text,
      'required when monitoring.tls.enabled and monitoring.enablePodMonitor are both true',
    ),
  ];
}

function warnings(pooler: Pooler): string[] {
  const out: string[] = [];
  if (!isAutomatedIntegration(pooler)) {
    const name = JSON.stringify(pooler.metadata?.name ?? '');
    const cluster = JSON.stringify(pooler.spec.cluster.name);
    const namespace = JSON.stringify(pooler.metadata?.namespace ?? '');
    out.push(
      `The operator won't handle the Pooler ${name} integration with the Cluster ${cluster} (${namespace}). ` +
        'Manually configure it as described in the docs.',
    );
  }
  if (named(pooler.spec.pgbouncer?.authQuerySecret)) {
    out.push('The .spec.pgbouncer.authQuerySecret field has been deprecated');
  }
  const monitoring = pooler.spec.monitoring;
  if (
    monitoring !== undefined &&
    (monitoring.enablePodMonitor === true ||
      (monitoring.podMonitorMetricRelabelings?.length ?? 0) > 0 ||
      (monitoring.podMonitorRelabelings?.length ?? 0) > 0)
  ) {
    out.push(
      'spec.monitoring is deprecated and will be removed in a future release. Set this field to false and ' +
        'create a PodMonitor resource for your pooler as described in the documentation',
    );
  }
  return out;
}

/** Create (and update) validation. As upstream on create, a rejected Pooler gets no warnings. */
export function validatePooler(obj: Pooler): AdmissionResult {
  const errors = [...validatePgBouncer(obj), ...validateCluster(obj), ...validateMonitoring(obj)];
  return { errors, warnings: errors.length > 0 ? [] : warnings(obj) };
}
