// Scenarios with a server restart (top-level `restart:`) and clients that vanish mid-deferral (`steps: [connect,
// vanish]`), run through the library against real fixture plugins; and how their mistakes are reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario } from '../../src/scenario/run.js';
import { ScenarioError, parseScenario } from '../../src/scenario/schema.js';
import { fixture } from '../helpers.js';

function steps(r: Awaited<ReturnType<typeof runScenario>>, client: number): string[] {
  return r.clients[client]!.steps.map((s) => `${s.step} ${s.outcome}`);
}

test('restart: SIGHUP after every connect; each client is ended by it, reconnects with the same expectations, disconnects', async () => {
  const s = parseScenario(
    `
plugins: [{ path: ${fixture('per-client')} }]
restart: SIGHUP
clients:
  - { name: alice, username: foo, password: bar, expect: { outcome: connected }, expectDisconnect: { hooks: { equals: [CLIENT_DISCONNECT, LEARN_ADDRESS] } } }
  - { name: bob, username: foo, password: bar }
`,
    'restart.yaml',
  );
  const r = await runScenario(s);
  assert.equal(r.exitCode, 0, JSON.stringify(r, null, 1));
  assert.deepEqual(steps(r, 0), ['connect connected', 'restart disconnected', 'reconnect connected', 'disconnect disconnected']);
  assert.deepEqual(steps(r, 1), steps(r, 0));
  assert.equal(r.clients[0]!.steps[1]!.summary, 'the server restarted (SIGHUP): CLIENT_DISCONNECT, LEARN_ADDRESS');
  // the expectations of connect are checked again at the reconnect
  assert.deepEqual(
    r.clients[0]!.steps.map((x) => x.expectations.length),
    [1, 0, 1, 1],
  );
  assert.equal(r.restart?.outcome, 'restarted');
  assert.match(r.restart!.summary, /close_v1 per-client\.so, open_v3 per-client\.so/);
});

test('restart: SIGUSR1 keeps the plugins open (no close, no open)', async () => {
  const s = parseScenario(`plugins: [${fixture('per-client')}]\nrestart: SIGUSR1\nclients: [{ username: foo, password: bar }]\n`, 'usr1.yaml');
  const r = await runScenario(s);
  assert.equal(r.exitCode, 0);
  assert.equal(r.restart?.summary, 'plugin calls: client_constructor_v1 per-client.so (again; the old generic context is not destroyed)');
});

test('vanish: the client goes during its deferred v1 client-connect; connect says dropped, the vanish step what OpenVPN leaves', async () => {
  const s = parseScenario(
    `
plugins: ["${fixture('cc-never')} mode=v1"]
clients:
  - name: alice
    username: foo
    password: bar
    steps: [connect, vanish]
    expect: { outcome: dropped, stage: client-connect }
    expectDisconnect: { leftBehind: [cc, ccr], hooks: { excludes: [CLIENT_DISCONNECT] } }
`,
    'vanish.yaml',
  );
  const r = await runScenario(s);
  assert.equal(r.exitCode, 0, JSON.stringify(r, null, 1));
  assert.deepEqual(steps(r, 0), ['connect dropped', 'vanish disconnected']);
  assert.match(
    r.clients[0]!.steps[1]!.summary,
    /^vanished during client-connect; OpenVPN would leave openvpn_cc_\w+\.tmp, openvpn_ccr_\w+\.tmp \(removed by the host\)$/,
  );
});

test('vanish: a wrong leftBehind expectation fails, saying what was left', async () => {
  const s = parseScenario(
    `plugins: ["${fixture('auth-defer')} delay_ms=600000"]\nclients: [{ username: foo, password: bar, steps: [connect, vanish], expectDisconnect: { leftBehind: [cc] } }]\n`,
    'vanish-auth.yaml',
  );
  const r = await runScenario(s);
  assert.equal(r.exitCode, 1);
  const e = r.clients[0]!.steps[1]!.expectations.find((x) => x.expectation === 'leftBehind')!;
  assert.equal(e.pass, false);
  assert.deepEqual(e.actual, []);
});

test('scenario mistakes around restart and vanish: one line each, naming the field', () => {
  const bad = (text: string, re: RegExp) => {
    assert.throws(
      () => parseScenario(text, 'bad.yaml'),
      (err: unknown) => err instanceof ScenarioError && re.test(err.message),
    );
  };
  bad('plugins: [a.so]\nrestart: SIGTERM\nclients: [{}]\n', /restart: must be one of SIGHUP, SIGUSR1/);
  bad(
    'plugins: [a.so]\nrestart: SIGHUP\nclients: [{ steps: [connect, vanish] }]\n',
    /clients\[0\]\.steps: with restart, every client runs \[connect, disconnect\]/,
  );
  bad('plugins: [a.so]\nclients: [{ steps: [connect, restart] }]\n', /steps\[1\]: must be one of connect, renegotiate, disconnect, vanish/);
  bad(
    'plugins: [a.so]\nclients: [{ expectDisconnect: { leftBehind: [cc] } }]\n',
    /expectDisconnect\.leftBehind: only a client that vanishes leaves files behind/,
  );
  bad(
    'plugins: [a.so]\nclients: [{ steps: [connect, vanish], expectDisconnect: { leftBehind: [tmp] } }]\n',
    /leftBehind\[0\]: must be one of cc, ccr, acf, apf, afr/,
  );
});
