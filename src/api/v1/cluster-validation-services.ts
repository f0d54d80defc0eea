// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pg_hba and extension env hold literal ${...}
// Cluster admission rules about what the operator manages beside the pods (upstream
// internal/webhook/v1/cluster_webhook.go): services, roles, managed extensions (pg_failover_slots),
// pod selectors referenced by pg_hba, and image-volume extensions. Messages and field paths are
// upstream's, quirks included.
import { posix } from 'node:path';
import type { Cluster } from './cluster-types.ts';
import { isReservedEnvironmentVariable, validateLabelSelector } from './cluster-validation-pods.ts';
import { type FieldError, fieldErr, type FieldPath, path } from './field-error.ts';
import { isManagedExtensionUsed, parsePostgresBoolean } from './postgres-parameters.ts';

// ---------------------------------------------------------------------------------------------
// Managed services (rules 57, 58)

/** The names of the services the operator always owns. */
export function reservedServiceNames(cluster: Cluster): string[] {
  const name = cluster.metadata?.name ?? '';
  return [`${name}-rw`, `${name}-ro`, `${name}-r`, `${name}-any`];
}

export function validateManagedServices(cluster: Cluster): FieldError[] {
  const services = cluster.spec.managed?.services;
  if (services === undefined) return [];
  const base = path('spec', 'managed', 'services');
  const errors: FieldError[] = [];
  if ((services.disabledDefaultServices ?? []).includes('rw')) {
    errors.push(
      fieldErr.invalid(base.child('disabledDefaultServices').text, 'rw', 'service of type RW cannot be disabled.'),
    );
  }

  const reserved = reservedServiceNames(cluster);
  const names: string[] = [];
  (services.additional ?? []).forEach((service, i) => {
    const name = service.serviceTemplate.metadata?.name ?? '';
    names.push(name);
    // Upstream builds the index into the child name.
    const at = base.child(`additional[${i}]`);
    if (reserved.includes(name)) {
      errors.push(fieldErr.invalid(at.text, name, `the service name: '${name}' is reserved for operator use`));
    }
    const selector = service.serviceTemplate.spec?.selector ?? {};
    if (Object.keys(selector).length > 0) {
      errors.push(fieldErr.invalid(at.text, selector, 'selector field is managed by the operator'));
    }
    if (name === '') errors.push(fieldErr.invalid(at.text, name, 'name is required'));
  });
  if (new Set(names).size !== names.length) {
    errors.push(
      fieldErr.invalid(base.child('additional').text, names, 'contains services with the same .metadata.name'),
    );
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Managed roles (rule 59)

/** Roles PostgreSQL or the operator own. */
export function isRoleReserved(name: string): boolean {
  return name === 'postgres' || name === 'streaming_replica' || name.startsWith('cnpg_') || name.startsWith('pg_');
}

export function validateManagedRoles(cluster: Cluster): FieldError[] {
  const managed = cluster.spec.managed;
  if (managed === undefined) return [];
  const field = path('spec', 'managed', 'roles').text;
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const role of managed.roles ?? []) {
    if (seen.has(role.name)) errors.push(fieldErr.invalid(field, role.name, 'Role name is duplicate of another'));
    seen.add(role.name);
    const limit = role.connectionLimit ?? -1;
    if (limit < -1) {
      errors.push(fieldErr.invalid(field, limit, 'Connection limit should be positive, unless defaulting to -1'));
    }
    if (isRoleReserved(role.name))
      errors.push(fieldErr.invalid(field, role.name, 'This role is reserved for operator use'));
    if (role.disablePassword === true && role.passwordSecret !== undefined) {
      errors.push(fieldErr.invalid(field, role.name, 'This role both sets and disables a password'));
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Managed extensions (rule 60)

export function validateManagedExtensions(cluster: Cluster): FieldError[] {
  return validatePgFailoverSlots(cluster);
}

export function validatePgFailoverSlots(cluster: Cluster): FieldError[] {
  const parameters = cluster.spec.postgresql?.parameters ?? {};
  if (!isManagedExtensionUsed('pg_failover_slots', parameters)) return [];
  const errors: FieldError[] = [];
  if (parsePostgresBoolean(parameters.hot_standby_feedback ?? '') !== true) {
    // Upstream formats an empty extension name here, hence the double space.
    errors.push(
      fieldErr.invalid(
        path('spec', 'postgresql', 'parameters', 'hot_standby_feedback').text,
        false,
        '`hot_standby_feedback` must be enabled to use  extension',
      ),
    );
  }
  const slots = cluster.spec.replicationSlots;
  if (slots === undefined) {
    errors.push(fieldErr.invalid(path('spec', 'replicationSlots').text, null, 'replicationSlots must be enabled'));
  } else if (slots.highAvailability === undefined || slots.highAvailability.enabled === false) {
    errors.push(
      fieldErr.invalid(
        path('spec', 'replicationSlots', 'highAvailability').text,
        'nil or false',
        'High Availability replication slots must be enabled',
      ),
    );
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Pod selectors referenced by pg_hba (rule 68), with upstream's messages (pkg/postgres/hba): one
// error per rule. The reference must also be a whole field here, and be terminated: upstream would
// put the address inside a longer field.

const DESCRIPTOR_REFERENCE = /\$\{([^:}]+):([^}]*)\}/g;
const POD_SELECTOR_NAME = /^[a-z]([a-z0-9_-]*[a-z0-9])?$/;

function podSelectorRuleError(line: string, defined: ReadonlySet<string>): string | undefined {
  if (line.replaceAll(DESCRIPTOR_REFERENCE, '').includes('${podselector:')) {
    return 'malformed ${podselector:NAME} reference';
  }
  const fields = line.trim().split(/\s+/);
  let count = 0;
  for (const [reference, type, name = ''] of line.matchAll(DESCRIPTOR_REFERENCE)) {
    if (type !== 'podselector') return `unknown descriptor type: ${type}`;
    count++;
    if (!POD_SELECTOR_NAME.test(name) || !defined.has(name)) return `pod selector not found: ${name}`;
    if (!fields.includes(reference)) return `${reference} must be a whole field of the pg_hba rule`;
  }
  return count > 1 ? 'at most one podselector reference is allowed per line' : undefined;
}

export function validatePodSelectorRefs(cluster: Cluster): FieldError[] {
  const errors: FieldError[] = [];
  const defined = new Set<string>();
  (cluster.spec.podSelectorRefs ?? []).forEach((ref, i) => {
    const at = path('spec', 'podSelectorRefs').index(i);
    if (defined.has(ref.name)) errors.push(fieldErr.duplicate(at.child('name').text, ref.name));
    defined.add(ref.name);
    errors.push(...validateLabelSelector(ref.selector, at.child('selector')));
  });

  (cluster.spec.postgresql?.pg_hba ?? []).forEach((line, i) => {
    const error = podSelectorRuleError(line, defined);
    if (error !== undefined)
      errors.push(fieldErr.invalid(path('spec', 'postgresql', 'pg_hba').index(i).text, line, error));
  });
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Image-volume extensions (rule 69). The name and the two original path lists follow upstream;
// the checks on ld_library_path, bin_path, local paths, env and the image reference are 1.30
// additions whose texts were not available to us: their wording is ours.

const IMAGE_ROOT_PLACEHOLDER = '${image_root}';
const PATH_VARIABLES = ['PATH', 'LD_LIBRARY_PATH'];

/** Whether a path, taken under the extension's mount point, stays inside it. */
function staysInsideMount(p: string): boolean {
  const joined = posix.join('/extension', p);
  return joined === '/extension' || joined.startsWith('/extension/');
}

function validatePathList(paths: readonly string[] | undefined, at: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  (paths ?? []).forEach((p, j) => {
    const field = at.index(j).text;
    if (p === '') errors.push(fieldErr.invalid(field, p, 'value cannot be empty'));
    else if (seen.has(p)) errors.push(fieldErr.duplicate(field, p));
    else if (!staysInsideMount(p)) errors.push(fieldErr.invalid(field, p, 'path must stay inside the extension image'));
    seen.add(p);
  });
  return errors;
}

export function validateExtensions(cluster: Cluster): FieldError[] {
  const extensions = cluster.spec.postgresql?.extensions ?? [];
  if (extensions.length === 0) return [];
  const errors: FieldError[] = [];
  const names = new Set<string>();
  // Volume names replace underscores with hyphens: pg_ivm and pg-ivm would share one.
  const volumeNames = new Set<string>();
  const envNames = new Set<string>();

  extensions.forEach((extension, i) => {
    const base = path('spec', 'postgresql', 'extensions').index(i);
    const nameField = base.child('name').text;
    if (extension.name === '') {
      errors.push(fieldErr.invalid(nameField, extension.name, 'value cannot be empty'));
      return;
    }
    if (names.has(extension.name)) {
      errors.push(fieldErr.duplicate(nameField, extension.name));
      return;
    }
    names.add(extension.name);
    const volumeName = extension.name.replaceAll('_', '-');
    if (volumeNames.has(volumeName)) {
      errors.push(
        fieldErr.invalid(
          nameField,
          extension.name,
          `extension name results in duplicate volume name ${JSON.stringify(volumeName)} after sanitization ` +
            '(underscores are converted to hyphens)',
        ),
      );
    }
    volumeNames.add(volumeName);

    if (!extension.image?.reference && cluster.spec.imageCatalogRef === undefined) {
      errors.push(
        fieldErr.required(
          base.child('image', 'reference').text,
          'an image reference is required without an image catalog',
        ),
      );
    }

    errors.push(...validatePathList(extension.extension_control_path, base.child('extension_control_path')));
    errors.push(...validatePathList(extension.dynamic_library_path, base.child('dynamic_library_path')));
    errors.push(...validatePathList(extension.ld_library_path, base.child('ld_library_path')));
    errors.push(...validatePathList(extension.bin_path, base.child('bin_path')));

    (extension.env ?? []).forEach((env, j) => {
      const at = base.child('env').index(j);
      if (isReservedEnvironmentVariable(env.name)) {
        errors.push(
          fieldErr.invalid(
            at.child('name').text,
            env.name,
            'the usage of this environment variable is reserved for the operator',
          ),
        );
      } else if (PATH_VARIABLES.includes(env.name)) {
        errors.push(
          fieldErr.invalid(
            at.child('name').text,
            env.name,
            `${env.name} is managed through bin_path and ld_library_path`,
          ),
        );
      } else if (envNames.has(env.name)) {
        // All extensions share the postgres container's environment.
        errors.push(fieldErr.duplicate(at.child('name').text, env.name));
      }
      envNames.add(env.name);
      const placeholders = env.value.match(/\$\{[^}]*\}/g) ?? [];
      if (placeholders.some((p) => p !== IMAGE_ROOT_PLACEHOLDER)) {
        errors.push(
          fieldErr.invalid(
            at.child('value').text,
            env.value,
            `only the ${IMAGE_ROOT_PLACEHOLDER} placeholder is allowed`,
          ),
        );
      }
    });
  });
  return errors;
}
