// initdb's command line from `bootstrap.initdb`: explicit fields first, then the deprecated raw
// `options`, which win because initdb keeps the last occurrence of a flag.
import type { BootstrapInitDB } from '../api/v1/cluster-types.ts';

export function initdbArguments(initdb: BootstrapInitDB | undefined): string[] {
  const args: string[] = [];
  const flag = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== '') args.push(`--${name}=${value}`);
  };
  flag('encoding', initdb?.encoding);
  flag('lc-collate', initdb?.localeCollate);
  flag('lc-ctype', initdb?.localeCType);
  flag('locale', initdb?.locale);
  flag('locale-provider', initdb?.localeProvider);
  flag('icu-locale', initdb?.icuLocale);
  flag('icu-rules', initdb?.icuRules);
  flag('builtin-locale', initdb?.builtinLocale);
  if (initdb?.dataChecksums === true) args.push('--data-checksums');
  if (initdb?.walSegmentSize !== undefined) args.push(`--wal-segsize=${initdb.walSegmentSize}`);
  args.push(...(initdb?.options ?? []));
  return args;
}
