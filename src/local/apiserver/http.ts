// The REST surface of the local API server: authentication, RBAC, discovery, and the resource
// endpoints (`/api/v1/...`, `/apis/<group>/<version>/...`) with list, watch, get, create, update,
// patch, delete and the status, scale, log, token and binding subresources, answering in JSON (or
// as a Table when kubectl asks for one).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { Logger } from '../../log/logger.ts';
import type { UserInfo } from './auth.ts';
import type { ApiCore, DeleteOptions, PatchType, Subresource, WriteOptions } from './core.ts';
import type { FieldValidation } from './custom-admission.ts';
import {
  apiGroupDocument,
  apiGroupList,
  apiResourceList,
  apiVersions,
  openApiV3Document,
  openApiV3Root,
  SERVER_VERSION,
} from './discovery.ts';
import { ApiError, apiErrors, qualifiedResource, statusObject } from './errors.ts';
import { containerLogPath, resolveContainer, serveLog } from './logs.ts';
import { decodeKubernetesProtobuf } from './protobuf.ts';
import { authorize, authorizeNonResource, forbiddenMessage, type RequestAttributes } from './rbac.ts';
import { apiVersionOf, type ResourceType, resourceKey } from './resources.ts';
import { type LabelSelector, matchLabels } from '../../kube/label-selector.ts';
import { type FieldSelector, labelSelectorParam, matchFields, parseFieldSelector, selectedName } from './selectors.ts';
import type { Json, KubeObject } from './storage.ts';
import { type TableOptions, toTable } from './table.ts';
import type { WatchHub } from './watch.ts';

export interface HandlerContext {
  core: ApiCore;
  hub: WatchHub;
  dataDir: string;
  log: Logger;
  /** `host:port` as clients reach the server. */
  address: () => string;
  bookmarkIntervalMs: number;
  /** How long a watch lasts when the client does not say (`timeoutSeconds`). */
  watchTimeoutSeconds: number;
  /** Called with each open watch's closer, so that stopping the server ends them. */
  trackWatch: (close: () => void) => () => void;
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);
/** Discovery is open to every authenticated user, as upstream's system:discovery role grants. */
const DISCOVERY_PREFIXES = ['/api', '/apis', '/openapi', '/version', '/healthz', '/livez', '/readyz'];

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function send(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | string[]> = {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
  };
  // Header values go out as bytes: UTF-8 text (upstream's warnings have dashes) passes as latin1.
  if (warnings.length > 0)
    headers.Warning = warnings.map((w) => Buffer.from(`299 - ${JSON.stringify(w)}`, 'utf8').toString('latin1'));
  res.writeHead(code, headers);
  res.end(text);
}

function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  send(res, err.code, err.toStatus());
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseBody(raw: Buffer, contentType: string): unknown {
  if (contentType.includes('protobuf')) return raw.length === 0 ? undefined : decodeKubernetesProtobuf(raw);
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return contentType.includes('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw apiErrors.badRequest(
      `the request body is not valid ${contentType.includes('yaml') ? 'YAML' : 'JSON'}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function patchTypeOf(contentType: string): PatchType {
  const type = contentType.split(';')[0]?.trim() ?? '';
  if (type === 'application/merge-patch+json') return 'merge';
  if (type === 'application/json-patch+json') return 'json';
  if (type === 'application/strategic-merge-patch+json') return 'strategic';
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json${type === 'application/apply-patch+yaml' ? ' (server-side apply is not supported by the local API server)' : ''}`,
  );
}

interface ResourcePath {
  rt: ResourceType;
  namespace?: string;
  name?: string;
  sub: string;
}

/** Splits `/api/v1/namespaces/x/pods/y/log` (and the cluster-scoped forms) into its parts. */
function resolveResourcePath(core: ApiCore, group: string, version: string, rest: string[]): ResourcePath {
  let namespace: string | undefined;
  let parts = rest;
  const namespaceSub = rest.length === 3 && rest[2] === 'status';
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSub) {
    namespace = rest[1];
    parts = rest.slice(2);
  }
  if (parts.length > 3) throw apiErrors.pathNotFound();
  const [plural = '', name, sub = ''] = parts;
  const rt = core.registry.find(group, version, plural);
  if (rt === undefined) throw apiErrors.pathNotFound();
  if (!rt.namespaced && namespace !== undefined) throw apiErrors.pathNotFound();
  if (rt.namespaced && namespace === undefined && name !== undefined) throw apiErrors.pathNotFound();
  return { rt, namespace, name, sub };
}

function pinnedName(query: URLSearchParams): string | undefined {
  const fields = query.get('fieldSelector');
  return fields ? selectedName(parseFieldSelector(fields)) : undefined;
}

function verbOf(method: string, p: ResourcePath, query: URLSearchParams): string {
  switch (method) {
    case 'GET':
      if (p.name !== undefined) return 'get';
      return query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return p.name === undefined ? 'deletecollection' : 'delete';
    default:
      throw apiErrors.methodNotAllowed(method);
  }
}

function writeOptions(query: URLSearchParams): WriteOptions {
  const fv = query.get('fieldValidation');
  const fieldValidation: FieldValidation = fv === 'Strict' || fv === 'Ignore' ? fv : 'Warn';
  return { dryRun: query.get('dryRun') === 'All', fieldValidation };
}

function deleteOptions(body: unknown, query: URLSearchParams): DeleteOptions {
  const b = isObject(body) ? body : {};
  const policy =
    query.get('propagationPolicy') ?? b.propagationPolicy ?? (b.orphanDependents === true ? 'Orphan' : undefined);
  if (policy !== undefined && policy !== 'Background' && policy !== 'Foreground' && policy !== 'Orphan') {
    throw apiErrors.badRequest(
      `propagationPolicy: Unsupported value: "${String(policy)}": supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  const grace = query.get('gracePeriodSeconds') ?? b.gracePeriodSeconds;
  const pre = isObject(b.preconditions) ? b.preconditions : {};
  const opts: DeleteOptions = {
    dryRun: query.get('dryRun') === 'All' || (Array.isArray(b.dryRun) && b.dryRun.includes('All')),
  };
  if (policy !== undefined) opts.propagationPolicy = policy;
  if (grace !== undefined && grace !== null) opts.gracePeriodSeconds = Number(grace);
  if (typeof pre.uid === 'string' || typeof pre.resourceVersion === 'string') {
    opts.preconditions = {};
    if (typeof pre.uid === 'string') opts.preconditions.uid = pre.uid;
    if (typeof pre.resourceVersion === 'string') opts.preconditions.resourceVersion = pre.resourceVersion;
  }
  return opts;
}

function tableOptions(req: IncomingMessage, query: URLSearchParams): TableOptions | undefined {
  const accept = req.headers.accept ?? '';
  if (!accept.includes('as=Table')) return undefined;
  const include = query.get('includeObject');
  return { includeObject: include === 'None' || include === 'Object' ? include : 'Metadata' };
}

export function createRequestHandler(ctx: HandlerContext): (req: IncomingMessage, res: ServerResponse) => void {
  const { core, log } = ctx;
  return (req, res) => {
    const started = Date.now();
    handle(req, res)
      .catch((err: unknown) => {
        const apiErr =
          err instanceof ApiError ? err : apiErrors.internal(err instanceof Error ? err.message : String(err));
        if (apiErr.code >= 500) log.error({ err, method: req.method, url: req.url }, 'request failed');
        sendError(res, apiErr);
      })
      .finally(() =>
        log.debug({ method: req.method, url: req.url, code: res.statusCode, ms: Date.now() - started }, 'request'),
      );
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://local');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const user = core.tokens.authenticate(req.headers.authorization);
    if (user === undefined && !(method === 'GET' && PUBLIC_PATHS.has(path))) throw apiErrors.unauthorized();
    const segments = path.split('/').filter((s) => s !== '');
    if (segments[0] !== 'api' && segments[0] !== 'apis') {
      nonResource(res, method, path, user);
      return;
    }
    let group = '';
    let version: string | undefined;
    let rest: string[];
    if (segments[0] === 'api') {
      version = segments[1];
      rest = segments.slice(2);
    } else {
      group = segments[1] ?? '';
      version = segments[2];
      rest = segments.slice(3);
    }
    if (rest.length === 0) {
      discovery(res, method, segments[0] === 'api', group, version);
      return;
    }
    const p = resolveResourcePath(core, group, version ?? '', rest);
    const verb = verbOf(method, p, url.searchParams);
    const body =
      method === 'GET' || method === 'HEAD'
        ? undefined
        : parseBody(await readBody(req), req.headers['content-type'] ?? 'application/json');
    const attrs: RequestAttributes = {
      verb,
      apiGroup: group,
      resource: p.rt.plural,
      subresource: p.sub,
      namespace: p.namespace,
      // A list or watch pinned to one name (`fieldSelector=metadata.name=x`) is a request on that
      // object, so `resourceNames` rules allow it, as in Kubernetes.
      name: p.name ?? pinnedName(url.searchParams),
    };
    if (user !== undefined && !authorize(core.store, user, attrs)) {
      throw apiErrors.forbidden(forbiddenMessage(user, attrs, qualifiedResource(p.rt)), {
        name: p.name,
        group,
        kind: p.rt.plural,
      });
    }
    await resource(req, res, p, verb, body, url.searchParams);
  }

  function nonResource(res: ServerResponse, method: string, path: string, user: UserInfo | undefined): void {
    const discoveryPath = DISCOVERY_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
    if (user !== undefined && !discoveryPath && !authorizeNonResource(core.store, user, method.toLowerCase(), path)) {
      throw apiErrors.forbidden(`forbidden: User "${user.name}" cannot ${method.toLowerCase()} path "${path}"`);
    }
    if (method !== 'GET') throw apiErrors.methodNotAllowed(method);
    if (path === '/version') {
      send(res, 200, SERVER_VERSION);
      return;
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    const types = core.registry.all();
    if (path === '/openapi/v3') {
      send(res, 200, openApiV3Root(types));
      return;
    }
    const m = /^\/openapi\/v3\/(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (m) {
      const doc =
        m[1] !== undefined ? openApiV3Document(types, '', m[1]) : openApiV3Document(types, m[2] ?? '', m[3] ?? '');
      if (doc === undefined) throw apiErrors.pathNotFound();
      send(res, 200, doc);
      return;
    }
    throw apiErrors.pathNotFound();
  }

  function discovery(
    res: ServerResponse,
    method: string,
    legacy: boolean,
    group: string,
    version: string | undefined,
  ): void {
    if (method !== 'GET') throw apiErrors.methodNotAllowed(method);
    const types = core.registry.all();
    let doc: Json | undefined;
    if (legacy) doc = version === undefined ? apiVersions(ctx.address()) : apiResourceList(types, '', version);
    else if (group === '') doc = apiGroupList(types);
    else doc = version === undefined ? apiGroupDocument(types, group) : apiResourceList(types, group, version);
    if (doc === undefined) throw apiErrors.pathNotFound();
    send(res, 200, doc);
  }

  async function resource(
    req: IncomingMessage,
    res: ServerResponse,
    p: ResourcePath,
    verb: string,
    body: unknown,
    query: URLSearchParams,
  ): Promise<void> {
    const { rt, namespace, name, sub } = p;
    const table = tableOptions(req, query);
    if (name === undefined) {
      const labels = query.get('labelSelector') ? labelSelectorParam(query.get('labelSelector') ?? '') : undefined;
      const fields = query.get('fieldSelector') ? parseFieldSelector(query.get('fieldSelector') ?? '') : undefined;
      if (verb === 'watch') return watch(req, res, rt, namespace, labels, fields, query, table);
      if (verb === 'list') {
        const items = core.list(rt, namespace, labels, fields);
        const rv = String(core.store.currentRv());
        if (table !== undefined) return send(res, 200, toTable(rt, items, { ...table, resourceVersion: rv }));
        return send(res, 200, {
          kind: `${rt.kind}List`,
          apiVersion: apiVersionOf(rt),
          metadata: { resourceVersion: rv },
          items,
        });
      }
      if (verb === 'create') {
        const result = core.create(rt, namespace, body, writeOptions(query));
        await core.store.durable();
        return send(res, 201, result.object, result.warnings);
      }
      if (verb === 'deletecollection') {
        const opts = deleteOptions(body, query);
        const items = core
          .list(rt, namespace, labels, fields)
          .map((o) => core.delete(rt, o.metadata.namespace, o.metadata.name, opts).object);
        await core.store.durable();
        return send(res, 200, {
          kind: `${rt.kind}List`,
          apiVersion: apiVersionOf(rt),
          metadata: { resourceVersion: String(core.store.currentRv()) },
          items,
        });
      }
      throw apiErrors.methodNotAllowed(req.method ?? '');
    }
    if (sub === 'log') return podLog(res, p, query);
    if (sub === 'token' && rt.kind === 'ServiceAccount' && verb === 'create') {
      const token = core.requestToken(namespace ?? '', name, body);
      await core.store.durable();
      return send(res, 201, token);
    }
    if (sub === 'binding' && rt.kind === 'Pod' && verb === 'create') {
      core.bindPod(namespace ?? '', name, body);
      await core.store.durable();
      return send(res, 201, statusObject('Success', 201, '', ''));
    }
    if (sub === 'scale' && rt.scale !== undefined) {
      if (verb === 'get') return send(res, 200, core.scaleOf(rt, core.get(rt, namespace, name)));
      const result =
        verb === 'update'
          ? core.updateScale(rt, namespace, name, body, writeOptions(query))
          : verb === 'patch'
            ? core.patchScale(
                rt,
                namespace,
                name,
                patchTypeOf(req.headers['content-type'] ?? ''),
                body,
                writeOptions(query),
              )
            : undefined;
      if (result === undefined) throw apiErrors.methodNotAllowed(req.method ?? '');
      await core.store.durable();
      return send(res, 200, result.object, result.warnings);
    }
    if (sub !== '' && !(sub === 'status' && rt.status)) throw apiErrors.pathNotFound();
    const subresource: Subresource = sub === 'status' ? 'status' : '';
    switch (verb) {
      case 'get': {
        const o = core.get(rt, namespace, name);
        if (table !== undefined)
          return send(res, 200, toTable(rt, [o], { ...table, resourceVersion: o.metadata.resourceVersion }));
        return send(res, 200, o);
      }
      case 'update': {
        const result = core.update(rt, namespace, name, body, writeOptions(query), subresource);
        await core.store.durable();
        return send(res, 200, result.object, result.warnings);
      }
      case 'patch': {
        const type = patchTypeOf(req.headers['content-type'] ?? '');
        const result = core.patch(rt, namespace, name, type, body, writeOptions(query), subresource);
        await core.store.durable();
        return send(res, 200, result.object, result.warnings);
      }
      case 'delete': {
        if (sub !== '') throw apiErrors.methodNotAllowed('DELETE');
        const result = core.delete(rt, namespace, name, deleteOptions(body, query));
        await core.store.durable();
        if (!result.finished || rt.kind === 'Pod') return send(res, 200, result.object);
        return send(
          res,
          200,
          statusObject('Success', 200, '', '', {
            name,
            group: rt.group,
            kind: rt.plural,
            uid: result.object.metadata.uid,
          }),
        );
      }
      default:
        throw apiErrors.methodNotAllowed(req.method ?? '');
    }
  }

  function podLog(res: ServerResponse, p: ResourcePath, query: URLSearchParams): void {
    if (p.rt.kind !== 'Pod' || p.rt.group !== '') throw apiErrors.pathNotFound();
    const pod = core.get(p.rt, p.namespace, p.name ?? '');
    const container = resolveContainer(pod, query.get('container') ?? undefined);
    const tail = query.get('tailLines');
    const limit = query.get('limitBytes');
    const opts = {
      container,
      follow: query.get('follow') === 'true',
      ...(tail === null ? {} : { tailLines: Number(tail) }),
      ...(limit === null ? {} : { limitBytes: Number(limit) }),
    };
    const uid = pod.metadata.uid;
    const running = () => {
      const now = core.store.get('/pods', p.namespace, p.name ?? '');
      const phase = isObject(now?.status) ? now.status.phase : undefined;
      return now?.metadata.uid === uid && phase !== 'Succeeded' && phase !== 'Failed';
    };
    serveLog(res, containerLogPath(ctx.dataDir, p.namespace ?? '', p.name ?? '', container), opts, running);
  }

  function watch(
    req: IncomingMessage,
    res: ServerResponse,
    rt: ResourceType,
    namespace: string | undefined,
    labels: LabelSelector | undefined,
    fields: FieldSelector | undefined,
    query: URLSearchParams,
    table: TableOptions | undefined,
  ): void {
    const rvParam = query.get('resourceVersion') ?? '';
    if (rvParam !== '' && !/^\d+$/.test(rvParam)) throw apiErrors.badRequest(`invalid resource version: ${rvParam}`);
    const matches = (o: KubeObject) =>
      (labels === undefined || matchLabels(labels, o.metadata.labels)) &&
      (fields === undefined || matchFields(fields, o));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const write = (type: string, o: KubeObject | Json) => {
      const object =
        table !== undefined && type !== 'ERROR' && type !== 'BOOKMARK' ? toTable(rt, [o as KubeObject], table) : o;
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    let from: number;
    if (rvParam === '' || rvParam === '0') {
      for (const o of core.list(rt, namespace, labels, fields)) write('ADDED', o);
      from = core.store.currentRv();
    } else {
      from = Number(rvParam);
    }
    let unsubscribe: () => void;
    try {
      unsubscribe = ctx.hub.subscribe(resourceKey(rt), from, {
        filter: namespace === undefined ? { matches } : { namespace, matches },
        send: (type, o) => write(type, core.present(rt, o)),
      });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      write('ERROR', err.toStatus());
      res.end();
      return;
    }
    const timers: NodeJS.Timeout[] = [];
    if (query.get('allowWatchBookmarks') === 'true') {
      timers.push(
        setInterval(() => {
          const rv = String(Math.max(ctx.hub.lastPublishedRv(), from));
          write('BOOKMARK', { kind: rt.kind, apiVersion: apiVersionOf(rt), metadata: { resourceVersion: rv } });
        }, ctx.bookmarkIntervalMs),
      );
    }
    const timeoutS = Number(query.get('timeoutSeconds') ?? ctx.watchTimeoutSeconds);
    let untrack: () => void = () => {};
    const close = () => {
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      untrack();
      if (!res.writableEnded) res.end();
    };
    timers.push(setTimeout(close, Math.max(1, timeoutS) * 1000));
    untrack = ctx.trackWatch(close);
    req.on('close', close);
    res.on('close', close);
  }
}
