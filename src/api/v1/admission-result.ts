import type { FieldError } from './field-error.ts';

/** What admission says of an object: errors reject it, warnings are shown and let it through. */
export interface AdmissionResult {
  errors: FieldError[];
  warnings: string[];
}

export const admitted = (): AdmissionResult => ({ errors: [], warnings: [] });

export function mergeResults(...results: AdmissionResult[]): AdmissionResult {
  return {
    errors: results.flatMap((r) => r.errors),
    warnings: results.flatMap((r) => r.warnings),
  };
}
