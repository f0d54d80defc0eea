// RBAC authorization for ServiceAccount tokens, as the Kubernetes RBAC authorizer decides:
// ClusterRoleBindings grant everywhere, RoleBindings grant in their namespace; a request is
// allowed when one rule of a bound role covers its verb, API group, resource and name.
import type { UserInfo } from './auth.ts';
import type { Json, ObjectStore } from './storage.ts';

export interface RequestAttributes {
  verb: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace?: string;
  name?: string;
}

interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

interface RoleRef {
  kind: string;
  name: string;
}

const includes = (list: string[] | undefined, value: string) => (list ?? []).some((v) => v === '*' || v === value);

function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const wanted = subresource === '' ? resource : `${resource}/${subresource}`;
  return (rule.resources ?? []).some(
    (r) => r === '*' || r === wanted || (subresource !== '' && r === `*/${subresource}`),
  );
}

function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!includes(rule.verbs, a.verb) || !includes(rule.apiGroups, a.apiGroup)) return false;
  if (!resourceMatches(rule, a.resource, a.subresource)) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (a.name !== undefined && names.includes(a.name));
}

function subjectMatches(s: Subject, user: UserInfo, bindingNamespace: string | undefined): boolean {
  if (s.kind === 'User') return s.name === user.name;
  if (s.kind === 'Group') return user.groups.includes(s.name);
  if (s.kind === 'ServiceAccount') {
    const ns = s.namespace ?? bindingNamespace ?? '';
    return user.name === `system:serviceaccount:${ns}:${s.name}`;
  }
  return false;
}

function rulesOf(store: ObjectStore, ref: RoleRef, namespace: string | undefined): PolicyRule[] {
  const role =
    ref.kind === 'ClusterRole'
      ? store.get('rbac.authorization.k8s.io/clusterroles', undefined, ref.name)
      : store.get('rbac.authorization.k8s.io/roles', namespace, ref.name);
  return ((role as Json | undefined)?.rules as PolicyRule[] | undefined) ?? [];
}

export function authorize(store: ObjectStore, user: UserInfo, a: RequestAttributes): boolean {
  if (user.admin) return true;
  const bindings: { namespace?: string; subjects: Subject[]; roleRef: RoleRef }[] = [];
  for (const b of store.list('rbac.authorization.k8s.io/clusterrolebindings')) {
    bindings.push({ subjects: (b.subjects as Subject[] | undefined) ?? [], roleRef: b.roleRef as RoleRef });
  }
  if (a.namespace !== undefined) {
    for (const b of store.list('rbac.authorization.k8s.io/rolebindings', a.namespace)) {
      bindings.push({
        namespace: a.namespace,
        subjects: (b.subjects as Subject[] | undefined) ?? [],
        roleRef: b.roleRef as RoleRef,
      });
    }
  }
  return bindings.some(
    (b) =>
      b.subjects.some((s) => subjectMatches(s, user, b.namespace)) &&
      rulesOf(store, b.roleRef, b.namespace).some((r) => ruleAllows(r, a)),
  );
}

/** Non-resource URLs (`/healthz`, `/metrics`...) need a ClusterRole rule naming them. */
export function authorizeNonResource(store: ObjectStore, user: UserInfo, verb: string, path: string): boolean {
  if (user.admin) return true;
  return store.list('rbac.authorization.k8s.io/clusterrolebindings').some((b) => {
    const subjects = (b.subjects as Subject[] | undefined) ?? [];
    if (!subjects.some((s) => subjectMatches(s, user, undefined))) return false;
    return rulesOf(store, b.roleRef as RoleRef, undefined).some(
      (r) =>
        includes(r.verbs, verb) &&
        (r.nonResourceURLs ?? []).some(
          (u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))),
        ),
    );
  });
}

/** The 403 message, worded as upstream's RBAC authorizer words it. */
export function forbiddenMessage(user: UserInfo, a: RequestAttributes, qualified: string): string {
  const what = a.name === undefined || a.name === '' ? qualified : `${qualified} "${a.name}"`;
  const resource = a.subresource === '' ? a.resource : `${a.resource}/${a.subresource}`;
  const scope = a.namespace === undefined ? 'at the cluster scope' : `in the namespace "${a.namespace}"`;
  return `${what} is forbidden: User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}`;
}
