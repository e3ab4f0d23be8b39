// The scenario runner with a fake host (no worker): step order, concurrency, crashes, thrown errors, and that the
// host is always closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { HostOpenError } from '../../src/host/host.js';
import type { ConnectResult, DisconnectResult, RenegotiateResult } from '../../src/protocol/client-results.js';
import type { FailureOutcome } from '../../src/protocol/failures.js';
import { runScenario, pluginPath, checkScenarioFiles, type ScenarioHost } from '../../src/scenario/run.js';
import { ScenarioError, parseScenario } from '../../src/scenario/schema.js';
import type { ClientInput } from '../../src/host/options.js';

function connected(name: string): ConnectResult {
  return {
    outcome: 'connected',
    client: name,
    hooks: [],
    auth: { called: false, deferred: false, polls: 0, ms: 0 },
    logs: [{ plugin: 'fake', level: 'note', message: `hello ${name}`, flags: 4, pid: 1, source: 'plugin_log', t: 0 }],
    ms: 1,
    blockingCalls: [],
    config: '',
    pushReply: [],
    configParts: [],
    options: [],
    warnings: [],
    address: '10.8.0.2',
    addressLearned: true,
    clientConnect: { deferred: false, polls: 0, ms: 0 },
  };
}

const crashed: ConnectResult = { outcome: 'crashed', signal: 'SIGSEGV', exitCode: null, message: 'the plugin crashed with SIGSEGV', logs: [] };

interface Fake extends ScenarioHost {
  events: string[];
  closed: number;
  killed: number;
}

/** A host whose clients behave as BEHAVIOUR says (by client name). */
function fakeHost(
  behaviour: Record<string, { connect?: () => Promise<ConnectResult>; throwAtClient?: boolean }> = {},
  close: () => Promise<FailureOutcome | undefined> = async () => undefined,
): Fake {
  const fake: Fake = {
    events: [],
    closed: 0,
    killed: 0,
    client(input: ClientInput) {
      const name = input.name!;
      const b = behaviour[name] ?? {};
      if (b.throwAtClient) throw new Error(`cert ${name}.pem: no such file`);
      return {
        connect: async () => {
          fake.events.push(`${name} connect start`);
          if (!b.connect) await sleep(5);
          const r = b.connect ? await b.connect() : connected(name);
          fake.events.push(`${name} connect end`);
          return r;
        },
        renegotiate: async (): Promise<RenegotiateResult> => {
          fake.events.push(`${name} renegotiate`);
          return {
            outcome: 'renewed',
            renegotiation: 1,
            client: name,
            hooks: [],
            auth: { called: false, deferred: false, polls: 0, ms: 0 },
            logs: [],
            ms: 0,
            blockingCalls: [],
          };
        },
        disconnect: async (): Promise<DisconnectResult> => {
          fake.events.push(`${name} disconnect`);
          return { outcome: 'disconnected', client: name, hooks: [], logs: [], ms: 0 };
        },
      };
    },
    close: async () => {
      fake.closed++;
      return close();
    },
    kill: async () => {
      fake.killed++;
    },
  };
  return fake;
}

const scenario = (yaml: string) => parseScenario(`plugins: [./p.so]\n${yaml}`, 's.yaml', '/work');

test('concurrent by default: every client starts before any finishes; steps in order; the host is closed', async () => {
  const host = fakeHost();
  const r = await runScenario(scenario('clients:\n  - name: a\n    expect: { outcome: connected }\n  - name: b\n'), { openHost: async () => host });
  assert.deepEqual(host.events.slice(0, 2), ['a connect start', 'b connect start']);
  assert.ok(host.events.indexOf('a disconnect') > host.events.indexOf('a connect end'));
  assert.equal(host.closed, 1);
  assert.equal(r.exitCode, 0);
  assert.equal(r.passed, true);
  assert.deepEqual(
    r.clients.map((c) => [c.name, c.steps.map((s) => `${s.step}:${s.outcome}`), c.logs]),
    [
      ['a', ['connect:connected', 'disconnect:disconnected'], ['fake: hello a']],
      ['b', ['connect:connected', 'disconnect:disconnected'], ['fake: hello b']],
    ],
  );
  assert.deepEqual(r.plugins, [{ path: '/work/p.so', args: [] }]);
});

test('sequential: true runs one client after another', async () => {
  const host = fakeHost();
  await runScenario(scenario('sequential: true\nclients:\n  - name: a\n  - name: b\n    steps: [connect]\n'), { openHost: async () => host });
  assert.deepEqual(host.events, ['a connect start', 'a connect end', 'a disconnect', 'b connect start', 'b connect end']);
});

test('after a crash the other steps are not run, and fail their expectations; exit 4 when the crash was not expected', async () => {
  const host = fakeHost({ a: { connect: async () => crashed } });
  const r = await runScenario(
    scenario(`sequential: true
clients:
  - name: a
    expectDisconnect: { outcome: disconnected }
  - name: b
    expect: { outcome: connected }
`),
    { openHost: async () => host },
  );
  assert.equal(r.exitCode, 4);
  const [a, b] = r.clients;
  assert.deepEqual(
    a!.steps.map((s) => [s.step, s.outcome, !!s.unexpectedFailure]),
    [
      ['connect', 'crashed', true],
      ['disconnect', 'not-run', false],
    ],
  );
  assert.equal(a!.steps[1]!.summary, 'not run: the worker died (a connect: crashed)');
  assert.deepEqual(
    a!.steps[1]!.expectations.map((e) => [e.expectation, e.pass]),
    [['outcome', false]],
  );
  assert.deepEqual(
    b!.steps[0]!.expectations.map((e) => e.message),
    ['outcome: not checked, the worker died (a connect: crashed)'],
  );
  assert.equal(host.events.includes('b connect start'), false);
  assert.equal(host.closed, 1);
});

test('an expected crash passes (exit 0) and the rest of that client is skipped', async () => {
  const host = fakeHost({ a: { connect: async () => crashed } });
  const r = await runScenario(scenario('clients:\n  - name: a\n    expect: { outcome: crashed, reason: SIGSEGV }\n'), { openHost: async () => host });
  assert.equal(r.exitCode, 0, JSON.stringify(r, null, 1));
  assert.deepEqual(
    r.clients[0]!.steps.map((s) => s.outcome),
    ['crashed', 'not-run'],
  );
});

test('a step that throws fails that client only, and the host is still closed', async () => {
  const host = fakeHost({ a: { throwAtClient: true } });
  const r = await runScenario(scenario('clients:\n  - name: a\n    expect: { outcome: connected }\n  - name: b\n    expect: { outcome: connected }\n'), {
    openHost: async () => host,
  });
  assert.equal(r.exitCode, 1);
  const a = r.clients[0]!;
  assert.deepEqual(
    a.steps.map((s) => [s.step, s.outcome]),
    [
      ['connect', 'error'],
      ['disconnect', 'not-run'],
    ],
  );
  assert.deepEqual(
    a.steps[0]!.expectations.map((e) => e.message),
    ['connect failed: cert a.pem: no such file', 'outcome: not checked, connect failed'],
  );
  assert.equal(r.clients[1]!.steps[0]!.outcome, 'connected');
  assert.equal(host.closed, 1);
});

test('a bug that escapes the runner still closes the host', async () => {
  const host = fakeHost({
    a: {
      connect: async () => {
        throw new Error('boom');
      },
    },
  });
  const r = await runScenario(scenario('clients:\n  - name: a\n'), {
    openHost: async () => host,
    onStep: (_c, s) => {
      if (s.outcome === 'error') throw new Error('reporter bug');
    },
  }).catch((err: Error) => err);
  assert.ok(r instanceof Error && r.message === 'reporter bug');
  assert.equal(host.closed, 1);
});

test('close crashing is reported (exit 4); close throwing kills the worker', async () => {
  const crashAtClose = fakeHost({}, async () => ({ outcome: 'crashed', signal: 'SIGSEGV', exitCode: null, message: 'crashed in close_v1', logs: [] }));
  const r = await runScenario(scenario('clients:\n  - name: a\n'), { openHost: async () => crashAtClose });
  assert.deepEqual(r.closeError, { outcome: 'crashed', message: 'crashed in close_v1' });
  assert.equal(r.exitCode, 4);
  const throwing = fakeHost({}, async () => {
    throw new Error('worker gone');
  });
  const r2 = await runScenario(scenario('clients:\n  - name: a\n'), { openHost: async () => throwing });
  assert.deepEqual(r2.closeError, { outcome: 'error', message: 'worker gone' });
  assert.equal(throwing.killed, 1);
});

test('a chain that fails to load: a report with loadError, exit 5, nothing run', async () => {
  const r = await runScenario(scenario('clients:\n  - name: a\n    expect: { outcome: connected }\n'), {
    openHost: async () => {
      throw new HostOpenError({ outcome: 'load-error', error: { kind: 'not-found', message: '/work/p.so: no such file (check the path)' }, logs: [] });
    },
  });
  assert.equal(r.exitCode, 5);
  assert.deepEqual(r.loadError, { outcome: 'load-error', kind: 'not-found', message: '/work/p.so: no such file (check the path)' });
  assert.deepEqual(r.clients, []);
});

test('host options from the scenario are passed to openHost', async () => {
  let seen: unknown;
  await runScenario(scenario('host: { callTimeoutMs: 500, timing: openvpn }\nclients: [{}]\n'), {
    openHost: async (o) => {
      seen = { ...o, onLog: undefined };
      return fakeHost();
    },
  });
  assert.deepEqual(seen, { plugins: [{ path: '/work/p.so', args: [] }], callTimeoutMs: 500, timing: 'openvpn', onLog: undefined });
});

test("plugin paths: with a slash, relative to the file; a bare name from the file's directory if there, else as written", () => {
  const s = parseScenario('plugins: [sub/a.so, b.so, c.so]\nclients: [{}]\n', 'dir/s.yaml', '/w');
  const exists = (p: string) => p === '/w/dir/b.so';
  assert.deepEqual(
    [0, 1, 2].map((i) => pluginPath(s, i, exists)),
    ['/w/dir/sub/a.so', '/w/dir/b.so', 'c.so'],
  );
});

test('a missing cert file is a bad scenario with the line of `cert`', () => {
  const s = parseScenario('plugins: [./p.so]\nclients:\n  - name: a\n    cert: ./missing.pem\n', 's.yaml', '/w');
  assert.throws(
    () => checkScenarioFiles(s, () => false),
    (err: unknown) => err instanceof ScenarioError && err.message === 's.yaml:4: clients[0].cert: no such file /w/missing.pem',
  );
  checkScenarioFiles(s, () => true);
});
