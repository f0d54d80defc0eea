// `${podselector:NAME}` in a user's pg_hba rule stands for the addresses of the pods that the
// Cluster's podSelectorRef NAME selects, as the operator resolved them into
// `status.podSelectorRefs`. Each rule is rendered once per address (a host mask: /32 or /128);
// with no address, the rule is left out. As upstream, a rule whose reference cannot be expanded
// (a name the status does not hold yet, a descriptor type other than podselector) is kept as a
// comment saying why, so it never reaches PostgreSQL as a host name.
import { isIPv4, isIPv6 } from 'node:net';
import type { Cluster } from '../api/v1/cluster-types.ts';

/** The addresses each podSelectorRef resolved to, by name. */
export type SelectorAddresses = ReadonlyMap<string, readonly string[]>;

const POD_SELECTOR = 'podselector';
/** `${TYPE:NAME}`: only the first one of a rule is expanded (admission refuses more than one). */
const DESCRIPTOR_REFERENCE = /\$\{([^:}]+):([^}]+)\}/;

/** The resolved addresses in the Cluster's status (empty until the operator has resolved them). */
export function selectorAddresses(cluster: Cluster): SelectorAddresses {
  return new Map((cluster.status?.podSelectorRefs ?? []).map((ref) => [ref.name, ref.ips ?? []]));
}

/** Every rule with its reference replaced, one line per address. */
export function expandHbaRules(rules: readonly string[], addresses: SelectorAddresses): string[] {
  return rules.flatMap((rule) => expandHbaRule(rule, addresses));
}

export function expandHbaRule(rule: string, addresses: SelectorAddresses): string[] {
  const match = DESCRIPTOR_REFERENCE.exec(rule);
  if (match === null) return [rule];
  const [reference, type = '', name = ''] = match;
  if (type !== POD_SELECTOR) return [disabled(rule, `unknown descriptor type: ${type}`)];
  const ips = addresses.get(name);
  if (ips === undefined) return [disabled(rule, `pod selector not found: ${name}`)];
  const before = rule.slice(0, match.index);
  const after = rule.slice(match.index + reference.length);
  return ips.map((ip) => `${before}${hostMask(ip)}${after}`);
}

function disabled(rule: string, why: string): string {
  return `# ${rule} # ${why}`;
}

/**
 * One address as a host network: `a.b.c.d/32`, or the canonical IPv6 text with `/128` (an
 * IPv4-mapped IPv6 address is its IPv4 address). Anything else is left as it is.
 */
export function hostMask(ip: string): string {
  if (isIPv4(ip)) return `${ip}/32`;
  if (!isIPv6(ip)) return ip;
  // The URL parser writes IPv6 addresses canonically (RFC 5952: lower case, longest zero run cut).
  const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped === null) return `${canonical}/128`;
  const [hi, lo] = [Number.parseInt(mapped[1] ?? '', 16), Number.parseInt(mapped[2] ?? '', 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}/32`;
}
