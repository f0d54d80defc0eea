// Label selectors, equality- and set-based, in both forms Kubernetes uses: the query string
// (`a=b,c in (d,e),!f`) and the LabelSelector object (matchLabels + matchExpressions). The API
// server filters lists and watches with them; controllers' caches answer with the same rules.
import type { V1LabelSelector } from '@kubernetes/client-node';

export type Labels = Record<string, string>;

/** A selector the API server would refuse, with its wording. */
export class LabelSelectorError extends Error {}

/** Splits on commas that are not inside parentheses. */
export function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

export interface Requirement {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!exists' | 'gt' | 'lt';
  values: string[];
}

export interface LabelSelector {
  requirements: Requirement[];
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function checkRequirement(r: Requirement): Requirement {
  if (!LABEL_KEY.test(r.key)) throw new LabelSelectorError(`unable to parse requirement: invalid label key "${r.key}"`);
  r.values.forEach((v, i) => {
    if (v.length > 63 || !LABEL_VALUE.test(v)) {
      throw new LabelSelectorError(
        `unable to parse requirement: values[${i}][${r.key}]: Invalid value: "${v}": a valid label must be an empty string or consist of ` +
          "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or " +
          "'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      );
    }
  });
  return r;
}

export function parseLabelSelector(text: string): LabelSelector {
  const requirements: Requirement[] = [];
  for (const term of splitTerms(text)) {
    let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const values = (m[3] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      requirements.push({ key: m[1] ?? '', op: m[2] as 'in' | 'notin', values });
      continue;
    }
    m = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*([^=!<>\s]*)$/.exec(term);
    if (m) {
      const value = m[3] ?? '';
      const op = m[2];
      if (op === '>' || op === '<')
        requirements.push({ key: m[1] ?? '', op: op === '>' ? 'gt' : 'lt', values: [value] });
      else requirements.push({ key: m[1] ?? '', op: op === '!=' ? 'notin' : 'in', values: [value] });
      continue;
    }
    m = /^(!?)([^=!<>\s()]+)$/.exec(term);
    if (m) {
      requirements.push({ key: m[2] ?? '', op: m[1] === '!' ? '!exists' : 'exists', values: [] });
      continue;
    }
    throw new LabelSelectorError(
      `unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`,
    );
  }
  return { requirements: requirements.map(checkRequirement) };
}

/** A `metav1.LabelSelector` (matchLabels + matchExpressions) in the same form. */
export function fromLabelSelectorObject(sel: unknown): LabelSelector {
  const requirements: Requirement[] = [];
  if (typeof sel !== 'object' || sel === null) return { requirements };
  const s = sel as { matchLabels?: Labels; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  for (const [key, value] of Object.entries(s.matchLabels ?? {})) requirements.push({ key, op: 'in', values: [value] });
  for (const e of s.matchExpressions ?? []) {
    const op = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' }[e.operator] as
      | Requirement['op']
      | undefined;
    // An operator the API server would have refused matches nothing: `in` an empty set.
    requirements.push(
      op === undefined ? { key: e.key, op: 'in', values: [] } : { key: e.key, op, values: e.values ?? [] },
    );
  }
  return { requirements };
}

/** The selector in its string form, as a Scale's `status.selector` shows it. */
export function labelSelectorString(sel: LabelSelector): string {
  return sel.requirements
    .map((r) => {
      if (r.op === 'exists') return r.key;
      if (r.op === '!exists') return `!${r.key}`;
      if (r.op === 'gt' || r.op === 'lt') return `${r.key}${r.op === 'gt' ? '>' : '<'}${r.values[0]}`;
      if (r.values.length === 1) return `${r.key}${r.op === 'in' ? '=' : '!='}${r.values[0]}`;
      return `${r.key} ${r.op} (${[...r.values].sort().join(',')})`;
    })
    .join(',');
}

export function matchLabels(sel: LabelSelector, labels: Labels | undefined): boolean {
  const l = labels ?? {};
  return sel.requirements.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'in':
        return has && r.values.includes(v ?? '');
      case 'notin':
        return !has || !r.values.includes(v ?? '');
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'gt':
        return has && Number(v) > Number(r.values[0]);
      case 'lt':
        return has && Number(v) < Number(r.values[0]);
    }
    return false;
  });
}

/** A selector as a controller writes it: exact labels, or a full LabelSelector. */
export type Selector = Labels | V1LabelSelector;

function asLabelSelector(s: Selector): LabelSelector {
  const keys = Object.keys(s);
  const isObject = keys.length > 0 && keys.every((k) => k === 'matchLabels' || k === 'matchExpressions');
  return fromLabelSelectorObject(isObject ? s : { matchLabels: s });
}

/** Whether labels satisfy the selector; an empty selector matches everything. */
export function matchesSelector(labels: Labels | undefined, selector: Selector): boolean {
  return matchLabels(asLabelSelector(selector), labels);
}

/** The query-string form of a selector, for list and watch requests. */
export function selectorString(selector: Selector): string {
  for (const { key, operator } of (selector as V1LabelSelector).matchExpressions ?? []) {
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(operator)) {
      throw new LabelSelectorError(`unsupported label selector operator ${JSON.stringify(operator)} for key ${key}`);
    }
  }
  return labelSelectorString(asLabelSelector(selector));
}
