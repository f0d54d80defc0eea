// Errors the user can act on: the CLI prints their message as one line and exits non-zero,
// without a stack trace. Anything else reaching the CLI is a bug and is reported as such.
export class InstanceError extends Error {
  override readonly name = 'InstanceError';
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
