// Role passwords follow their Secrets: on the primary, `postgres` gets the superuser Secret's
// password (none at all when superuser access is off) and the application owner the application
// Secret's, whenever they change. The password is sent as a SCRAM-SHA-256 verifier computed here,
// so no statement, error or log line of PostgreSQL or psql can ever carry the password itself.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import { quoteIdentifier, quoteLiteral } from '../postgres/quoting.ts';
import type { InstanceContext } from './context.ts';
import { errorMessage } from './errors.ts';
import { isStandbyDataDirectory } from './pgdata-config.ts';
import { readBasicAuth } from './secrets.ts';

const FOLLOW_INTERVAL_MS = 3_000;
const SCRAM_ITERATIONS = 4096;

/**
 * PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802/7677). The password is used as
 * its UTF-8 bytes; PostgreSQL does the same for any password SASLprep leaves unchanged (ASCII).
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = SCRAM_ITERATIONS): string {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** `ALTER ROLE` setting `role`'s password to `password`, or removing it (null). */
export function rolePasswordSql(role: string, password: string | null): string {
  const value = password === null ? 'NULL' : quoteLiteral(scramVerifier(password));
  return `ALTER ROLE ${quoteIdentifier(role)} WITH PASSWORD ${value};\n`;
}

interface Desired {
  role: string;
  password: string | null;
}

function digest(items: Desired[]): string {
  return createHash('sha256').update(JSON.stringify(items)).digest('hex');
}

/** The application Secret's name, as the operator names it. */
function applicationSecretName(ctx: InstanceContext): string {
  return ctx.cluster.spec.bootstrap?.initdb?.secret?.name || `${ctx.clusterName}-app`;
}

export class CredentialFollower {
  readonly #ctx: InstanceContext;
  readonly #api: CoreV1Api | undefined;
  #applied: string | undefined;

  constructor(ctx: InstanceContext) {
    this.#ctx = ctx;
    this.#api = ctx.source.kubeConfig?.makeApiClient(CoreV1Api);
  }

  /** What the roles' passwords should be now. */
  async #desired(): Promise<Desired[]> {
    const { cluster, options } = this.#ctx;
    const wanted: Desired[] = [];
    wanted.push({
      role: 'postgres',
      password:
        cluster.spec.enableSuperuserAccess === true
          ? readBasicAuth(options.superuserSecretDir, 'the superuser secret', '--superuser-secret-dir').password
          : null,
    });
    const owner = await this.#applicationCredentials();
    if (owner !== undefined) wanted.push(owner);
    return wanted;
  }

  async #applicationCredentials(): Promise<Desired | undefined> {
    const { cluster, options } = this.#ctx;
    if (!cluster.spec.bootstrap?.initdb?.owner) return undefined;
    if (this.#api === undefined) {
      if (options.appSecretDir === undefined) return undefined;
      const auth = readBasicAuth(options.appSecretDir, 'the application secret', '--app-secret-dir');
      return { role: auth.username, password: auth.password };
    }
    const secret = await this.#api.readNamespacedSecret({
      name: applicationSecretName(this.#ctx),
      namespace: options.namespace,
    });
    const text = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
    if (text('username') === '' || text('password') === '') return undefined;
    return { role: text('username').trim(), password: text('password') };
  }

  /** Applies what changed since the last pass; only a running primary takes role changes. */
  async #tick(): Promise<void> {
    if (isStandbyDataDirectory(this.#ctx.options.pgdata)) {
      // A replica gets the roles by replication; after a promotion everything is applied once more.
      this.#applied = undefined;
      return;
    }
    const wanted = await this.#desired();
    const current = digest(wanted);
    if (current === this.#applied) return;
    await this.#ctx.sql.exec(wanted.map((w) => rolePasswordSql(w.role, w.password)).join(''));
    if (this.#applied !== undefined) this.#ctx.log.info({ roles: wanted.map((w) => w.role) }, 'role passwords updated');
    this.#applied = current;
  }

  /** Follows the Secrets until the returned function is called. */
  follow(): () => void {
    let running = false;
    let lastError = '';
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.#tick()
        .then(() => {
          lastError = '';
        })
        .catch((err: unknown) => {
          // PostgreSQL down, a Secret missing...: said once, tried again at the next pass.
          const message = errorMessage(err);
          if (message !== lastError) this.#ctx.log.warn({ err: message }, 'role passwords not applied yet');
          lastError = message;
        })
        .finally(() => {
          running = false;
        });
    }, FOLLOW_INTERVAL_MS);
    timer.unref();
    return () => clearInterval(timer);
  }
}
