// The Event recorder against the local API server: events written as client-go writes them,
// repeats aggregated into one event's count, failures logged and never thrown, what kubectl shows
// of them, and the server's TTL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, type CoreV1Event, type V1ConfigMap } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../src/kube/client.ts';
import { EventRecorder } from '../../src/kube/events.ts';
import { componentLogger } from '../../src/log/logger.ts';
import { kubectl, startTestServer, type TestServer } from '../local/apiserver-support.ts';
import { eventually } from './support.ts';

const NS = 'default';

interface Setup {
  server: TestServer;
  core: CoreV1Api;
  recorder: EventRecorder;
  logged: string[];
}

async function setup(eventTtlSeconds?: number): Promise<Setup> {
  const server = await startTestServer(eventTtlSeconds === undefined ? {} : { eventTtlSeconds });
  const core = loadKubeConfig(server.kubeconfigPath).makeApiClient(CoreV1Api);
  const logged: string[] = [];
  const log = componentLogger('test', {}, { level: 'warning', destination: { write: (line) => logged.push(line) } });
  return { server, core, recorder: new EventRecorder({ core, component: 'cloudnative-pg', log }), logged };
}

async function configMap(core: CoreV1Api, name: string): Promise<V1ConfigMap> {
  return core.createNamespacedConfigMap({
    namespace: NS,
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } },
  });
}

async function eventsOf(core: CoreV1Api, name: string): Promise<CoreV1Event[]> {
  const list = await core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${name}` });
  return list.items;
}

describe('EventRecorder', () => {
  let s: Setup;
  before(async () => {
    s = await setup();
  });
  after(() => s?.server.dispose());

  it('writes a core/v1 Event naming the object, its source and when', async () => {
    const cm = await configMap(s.core, 'one');
    s.recorder.event(cm, 'Normal', 'CreatingInstance', 'Primary instance (initdb)');
    await s.recorder.flush();
    const [event, ...others] = await eventsOf(s.core, 'one');
    assert.equal(others.length, 0);
    assert.ok(event);
    assert.match(event.metadata?.name ?? '', /^one\.[0-9a-f]+$/);
    assert.deepEqual(
      { ...event.involvedObject },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'one',
        namespace: NS,
        uid: cm.metadata?.uid,
        resourceVersion: cm.metadata?.resourceVersion,
      },
    );
    assert.equal(event.type, 'Normal');
    assert.equal(event.reason, 'CreatingInstance');
    assert.equal(event.message, 'Primary instance (initdb)');
    assert.equal(event.source?.component, 'cloudnative-pg');
    assert.equal(event.reportingComponent, 'cloudnative-pg');
    assert.equal(event.count, 1);
    assert.ok(event.firstTimestamp instanceof Date);
    assert.equal(event.lastTimestamp?.getTime(), event.firstTimestamp.getTime());
  });

  it('counts repeats of the same event on one Event, and keeps different ones apart', async () => {
    const cm = await configMap(s.core, 'repeated');
    for (let i = 0; i < 3; i++) s.recorder.event(cm, 'Warning', 'SecretIsExpiring', 'Checking secret x');
    s.recorder.event(cm, 'Warning', 'SecretIsExpiring', 'Checking secret y');
    await s.recorder.flush();
    const events = await eventsOf(s.core, 'repeated');
    assert.deepEqual(events.map((e) => [e.message, e.count]).sort(), [
      ['Checking secret x', 3],
      ['Checking secret y', 1],
    ]);
  });

  it('starts a new Event when the one it counted on is gone', async () => {
    const cm = await configMap(s.core, 'expired');
    s.recorder.event(cm, 'Normal', 'Restarting', 'Restarting instance a');
    await s.recorder.flush();
    const [first] = await eventsOf(s.core, 'expired');
    await s.core.deleteNamespacedEvent({ name: first?.metadata?.name ?? '', namespace: NS });
    s.recorder.event(cm, 'Normal', 'Restarting', 'Restarting instance a');
    await s.recorder.flush();
    const events = await eventsOf(s.core, 'expired');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.count, 1);
    assert.notEqual(events[0]?.metadata?.name, first?.metadata?.name);
  });

  it('logs an event it cannot write, and never throws', async () => {
    const before = s.logged.length;
    assert.doesNotThrow(() =>
      s.recorder.event({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, 'Normal', 'R', 'm'),
    );
    s.recorder.event(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'y', namespace: 'no-such-namespace' } },
      'Normal',
      'R',
      'm',
    );
    await s.recorder.flush();
    const lines = s.logged.slice(before).map((l) => JSON.parse(l) as { msg: string; name: string; err: string });
    assert.deepEqual(
      lines.map((l) => [l.msg, l.name]),
      [
        ['could not record an event', 'x'],
        ['could not record an event', 'y'],
      ],
    );
    assert.match(lines[0]?.err ?? '', /namespace/);
  });

  it('shows in kubectl describe and kubectl get events', async () => {
    const cm = await configMap(s.core, 'described');
    s.recorder.event(cm, 'Normal', 'FailingOver', 'Failing over from a-1');
    s.recorder.event(cm, 'Normal', 'FailingOver', 'Failing over from a-1');
    s.recorder.event(cm, 'Normal', 'FailoverTarget', 'Failing over from a-1 to a-2');
    await s.recorder.flush();
    const described = await kubectl(s.server, ['describe', 'configmap', 'described', '-n', NS]);
    assert.equal(described.status, 0, described.stderr);
    const events = described.stdout.slice(described.stdout.indexOf('Events:'));
    assert.match(events, /Normal\s+FailingOver\s+\S+ \(x2 over \S+\)\s+cloudnative-pg\s+Failing over from a-1\n/);
    assert.match(events, /Normal\s+FailoverTarget\s+\S+\s+cloudnative-pg\s+Failing over from a-1 to a-2/);
    const listed = await kubectl(s.server, [
      'get',
      'events',
      '-n',
      NS,
      '--field-selector',
      'involvedObject.name=described',
    ]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /Normal\s+FailingOver\s+configmap\/described\s+Failing over from a-1\n/);
  });
});

describe('Events on the local API server', () => {
  let s: Setup;
  before(async () => {
    s = await setup(3);
  });
  after(() => s?.server.dispose());

  it('expire once not written for the TTL', async () => {
    const cm = await configMap(s.core, 'short-lived');
    s.recorder.event(cm, 'Normal', 'ScaleDown', 'Scaling down - removing instance: a-3');
    await s.recorder.flush();
    assert.equal((await eventsOf(s.core, 'short-lived')).length, 1);
    await eventually('the event to expire', async () =>
      (await eventsOf(s.core, 'short-lived')).length === 0 ? true : undefined,
    );
  });
});
