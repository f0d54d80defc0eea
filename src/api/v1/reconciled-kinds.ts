// The kinds of postgresql.cnpg.io/v1 the operator acts on today. Objects of the other kinds are
// admitted (so manifests apply unchanged) but nothing reconciles them yet: `cnpg local up --wait`
// and `cnpg status` say so, naming the kind.
export const RECONCILED_KINDS: ReadonlySet<string> = new Set(['Cluster', 'FailoverQuorum']);
