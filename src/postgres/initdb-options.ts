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

/** An initdb field set to a value that needs a newer PostgreSQL than 13, the oldest supported. */
export interface InitdbVersionNeed {
  field: keyof BootstrapInitDB;
  value: string;
  /** How messages name it: the field, or the field and its value (`localeProvider builtin`). */
  what: string;
  /** The first major whose initdb has it. */
  since: number;
}

/**
 * What `initdb` options this spec uses that older majors lack (initdb refuses them with a bare
 * "unrecognized option"): upstream admits them, so the instance manager checks them against the
 * PostgreSQL it really runs before initdb.
 */
export function initdbVersionNeeds(initdb: BootstrapInitDB): InitdbVersionNeed[] {
  const needs: InitdbVersionNeed[] = [];
  const need = (field: keyof BootstrapInitDB, value: string | undefined, since: number, what: string = field) => {
    if (value !== undefined && value !== '') needs.push({ field, value, what, since });
  };
  const provider = initdb.localeProvider;
  if (provider === 'builtin') need('localeProvider', provider, 17, 'localeProvider builtin');
  else need('localeProvider', provider, 15);
  need('icuLocale', initdb.icuLocale, 15);
  need('icuRules', initdb.icuRules, 16);
  need('builtinLocale', initdb.builtinLocale, 17);
  return needs;
}
