// Field selectors (`?fieldSelector=metadata.name=x`) parsed once per request and matched against
// objects, and the request form of label selectors (whose rules live in kube/label-selector.ts).
import { LabelSelectorError, type LabelSelector, parseLabelSelector, splitTerms } from '../../kube/label-selector.ts';
import { apiErrors } from './errors.ts';

type Json = Record<string, unknown>;

interface FieldRequirement {
  path: string[];
  value: string;
  negate: boolean;
}

export interface FieldSelector {
  requirements: FieldRequirement[];
}

export function parseFieldSelector(text: string): FieldSelector {
  const requirements: FieldRequirement[] = [];
  for (const term of splitTerms(text)) {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!m) throw apiErrors.badRequest(`invalid selector: '${term}'; can't understand '${term}'`);
    requirements.push({ path: (m[1] ?? '').trim().split('.'), value: (m[3] ?? '').trim(), negate: m[2] === '!=' });
  }
  return { requirements };
}

/** Field selectors compare the field's string form; an absent field reads as "". */
export function matchFields(sel: FieldSelector, obj: Json): boolean {
  return sel.requirements.every((r) => {
    let cur: unknown = obj;
    for (const p of r.path) cur = typeof cur === 'object' && cur !== null ? (cur as Json)[p] : undefined;
    const actual = cur === undefined || cur === null ? '' : String(cur);
    return (actual === r.value) !== r.negate;
  });
}

/** The name a field selector pins down, when it does (a fast path for `metadata.name=x`). */
export function selectedName(sel: FieldSelector | undefined): string | undefined {
  const r = sel?.requirements.find((q) => !q.negate && q.path.join('.') === 'metadata.name');
  return r?.value;
}

/** A `?labelSelector=` parameter; a bad one is the client's error (400). */
export function labelSelectorParam(text: string): LabelSelector {
  try {
    return parseLabelSelector(text);
  } catch (err) {
    if (err instanceof LabelSelectorError) throw apiErrors.badRequest(err.message);
    throw err;
  }
}
