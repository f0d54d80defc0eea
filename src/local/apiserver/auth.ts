// Authentication by bearer token: the admin token (unrestricted, the kubeconfig's) and one token
// per ServiceAccount use (TokenRequest or a `kubernetes.io/service-account-token` Secret). Tokens
// are opaque random strings; the server keeps only their SHA-256, mapped to the account's uid.
import { createHash, randomBytes } from 'node:crypto';
import type { ObjectStore } from './storage.ts';

export interface UserInfo {
  name: string;
  groups: string[];
  /** The admin kubeconfig's user: RBAC does not apply. */
  admin: boolean;
}

export const ADMIN_USER = 'cnpg-local-admin';

interface TokenRecord {
  namespace: string;
  name: string;
  uid: string;
  /** Unix ms; absent for tokens bound to a Secret. */
  expires?: number;
  secret?: string;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const KEY_PREFIX = 'token/';

export class TokenAuthority {
  private readonly store: ObjectStore;
  readonly adminToken: string;

  constructor(store: ObjectStore) {
    this.store = store;
    let admin = store.getKv('admin-token');
    if (admin === undefined) {
      admin = randomBytes(32).toString('base64url');
      store.putKv('admin-token', admin);
    }
    this.adminToken = admin;
  }

  /** A new token for the ServiceAccount `namespace/name` (uid `uid`). */
  issue(
    sa: { namespace: string; name: string; uid: string },
    opts: { expires?: number; secret?: string } = {},
  ): string {
    const token = randomBytes(32).toString('base64url');
    const record: TokenRecord = { ...sa, ...opts };
    this.store.putKv(KEY_PREFIX + hash(token), JSON.stringify(record));
    return token;
  }

  authenticate(authorization: string | undefined): UserInfo | undefined {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const token = m?.[1];
    if (token === undefined) return undefined;
    if (token === this.adminToken)
      return { name: ADMIN_USER, groups: ['system:masters', 'system:authenticated'], admin: true };
    const raw = this.store.getKv(KEY_PREFIX + hash(token));
    if (raw === undefined) return undefined;
    const record = JSON.parse(raw) as TokenRecord;
    if (record.expires !== undefined && record.expires < Date.now()) return undefined;
    const sa = this.store.get('/serviceaccounts', record.namespace, record.name);
    if (sa === undefined || sa.metadata.uid !== record.uid) return undefined;
    if (record.secret !== undefined) {
      const secret = this.store.get('/secrets', record.namespace, record.secret);
      const data = secret?.data as Record<string, string> | undefined;
      if (data?.token === undefined || Buffer.from(data.token, 'base64').toString() !== token) return undefined;
    }
    return {
      name: `system:serviceaccount:${record.namespace}:${record.name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${record.namespace}`, 'system:authenticated'],
      admin: false,
    };
  }

  /** Forgets the expired tokens and those of ServiceAccounts or Secrets that are gone. */
  sweep(): void {
    for (const [key, raw] of this.store.kvWithPrefix(KEY_PREFIX)) {
      const r = JSON.parse(raw) as TokenRecord;
      const sa = this.store.get('/serviceaccounts', r.namespace, r.name);
      const expired = r.expires !== undefined && r.expires < Date.now();
      const orphan = sa === undefined || sa.metadata.uid !== r.uid;
      const secretGone = r.secret !== undefined && this.store.get('/secrets', r.namespace, r.secret) === undefined;
      if (expired || orphan || secretGone) this.store.deleteKv(key);
    }
  }
}
