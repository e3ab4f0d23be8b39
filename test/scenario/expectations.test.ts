// Expectations checked against hand-made connect/disconnect results (no plugin runs): pass/fail, expected/actual, messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectedResult, ConnectResult, DisconnectResult, HookStep, RejectedResult } from '../../src/protocol/client-results.js';
import {
  checkConnect,
  checkDisconnect,
  expectationKeys,
  notRun,
  reasonsOf,
  summarize,
  unexpectedCrashOrHang,
  type ExpectationResult,
} from '../../src/scenario/expectations.js';
import { parseScenario, type ConnectExpectations, type DisconnectExpectations } from '../../src/scenario/schema.js';
import type { PluginLogEntry } from '../../src/protocol/logs.js';

function hook(name: string): HookStep {
  return { hook: name, argv: [], envKeys: [], status: 0, statusName: 'SUCCESS', calls: [], context: 'client', t: 0, ms: 1 };
}

function log(plugin: string, message: string): PluginLogEntry {
  return { plugin, level: 'note', message, flags: 4, pid: 1, source: 'plugin_log', t: 0 };
}

const common = {
  client: 'alice',
  auth: { called: true, deferred: true, polls: 3, ms: 150, pending: { timeout: 60, method: 'webauth', extra: 'OPEN_URL:https://x/login', clientSees: [] } },
  logs: [log('auth-defer', 'AUTH_USER_PASS_VERIFY user=foo deferring 150 ms'), log('auth-defer', 'auth result PASS for foo')],
  ms: 200,
  blockingCalls: [],
};

const connected: ConnectedResult = {
  ...common,
  outcome: 'connected',
  hooks: ['TLS_VERIFY', 'TLS_VERIFY', 'AUTH_USER_PASS_VERIFY', 'TLS_FINAL', 'CLIENT_CONNECT_V2', 'CLIENT_CONNECT_DEFER_V2', 'LEARN_ADDRESS'].map(hook),
  config: 'ifconfig-push 10.8.0.9 255.255.255.0\npush "route 10.9.0.0 255.255.0.0"\n',
  pushReply: ['route 10.9.0.0 255.255.0.0'],
  configParts: [],
  options: [
    { name: 'ifconfig-push', args: ['10.8.0.9', '255.255.255.0'], line: 1 },
    { name: 'push', args: ['route 10.9.0.0 255.255.0.0'], line: 2 },
  ],
  warnings: [],
  address: '10.8.0.9',
  addressLearned: true,
  clientConnect: { deferred: true, polls: 2, ms: 40 },
};

const rejected: RejectedResult = {
  ...common,
  auth: { called: true, deferred: false, polls: 0, ms: 2, reason: 'bad credentials for mallory' },
  outcome: 'rejected',
  stage: 'auth',
  reason: 'bad credentials for mallory',
  clientSees: 'AUTH_FAILED,bad credentials for mallory',
  hooks: [hook('AUTH_USER_PASS_VERIFY')],
};

const crashed: ConnectResult = {
  outcome: 'crashed',
  signal: 'SIGSEGV',
  exitCode: null,
  message: 'the plugin crashed with SIGSEGV in CLIENT_CONNECT_V2 of x.so',
  logs: [],
};

/** Expectations written as YAML, through the real parser (so the tests use the file format). */
function expect(yaml: string): ConnectExpectations {
  return parseScenario(`plugins: [./p.so]\nclients:\n  - expect:\n${yaml.replace(/^/gm, '      ')}\n`, 's.yaml', '/').clients[0]!.expect;
}
function expectDisconnect(yaml: string): DisconnectExpectations {
  return parseScenario(`plugins: [./p.so]\nclients:\n  - expectDisconnect:\n${yaml.replace(/^/gm, '      ')}\n`, 's.yaml', '/').clients[0]!.expectDisconnect;
}

function verdicts(results: ExpectationResult[]): Array<[string, boolean]> {
  return results.map((r) => [r.expectation, r.pass]);
}

test('everything holds for a connected client: one result per expectation, in a stable order', () => {
  const e = expect(`outcome: connected
config: { contains: [ifconfig-push 10.8.0.9, /route 10\\.9\\./], equals: "ifconfig-push 10.8.0.9 255.255.255.0\\npush \\"route 10.9.0.0 255.255.0.0\\"" }
options:
  present: [{ name: ifconfig-push, args: [10.8.0.9, 255.255.255.0] }, { name: push }]
  absent: [disable, redirect-gateway]
address: 10.8.0.9
logs: { contains: ["auth-defer: auth result PASS", /deferring \\d+ ms/], excludes: [ERROR] }
deferred: { auth: true, clientConnect: true }
maxPolls: 5
authPending: { method: webauth, timeout: 60, extra: OPEN_URL }
hooks: { includes: [TLS_FINAL, LEARN_ADDRESS], excludes: [CLIENT_CONNECT] }`);
  const r = checkConnect('alice', e, connected);
  assert.deepEqual(
    r.filter((x) => !x.pass).map((x) => x.message),
    [],
  );
  assert.deepEqual(
    r.map((x) => x.expectation),
    [
      'outcome',
      'config.contains[0]',
      'config.contains[1]',
      'config.equals',
      'options.present[0]',
      'options.present[1]',
      'options.absent[0]',
      'options.absent[1]',
      'address',
      'deferred.auth',
      'deferred.clientConnect',
      'maxPolls',
      'authPending.method',
      'authPending.timeout',
      'authPending.extra',
      'logs.contains[0]',
      'logs.contains[1]',
      'logs.excludes[0]',
      'hooks.includes[0]',
      'hooks.includes[1]',
      'hooks.excludes[0]',
    ],
  );
  assert.ok(r.every((x) => x.client === 'alice' && x.step === 'connect'));
  assert.deepEqual(r.find((x) => x.expectation === 'logs.contains[0]')!.actual, 'auth-defer: auth result PASS for foo', 'actual is the matching line');
  assert.deepEqual(r.find((x) => x.expectation === 'options.present[1]')!.actual, { name: 'push', args: ['route 10.9.0.0 255.255.0.0'] });
  assert.equal(r[0]!.message, 'outcome connected');
  assert.deepEqual(
    expectationKeys(e),
    r.map((x) => x.expectation),
    'expectationKeys names the same results',
  );
});

test('failures say what was expected and what was found, with the result in brackets', () => {
  const e = expect(`outcome: rejected
stage: auth
reason: wrong
address: 10.8.0.1
maxPolls: 4
deferred: { auth: false }
config: { contains: [redirect-gateway], equals: other }
options: { present: [{ name: push, args: [route 10.0.0.0] }], absent: [ifconfig-push] }
logs: { contains: [/FAIL/], excludes: [result PASS] }
hooks: [TLS_VERIFY, AUTH_USER_PASS_VERIFY]`);
  const r = checkConnect('alice', e, connected);
  assert.ok(
    r.every((x) => !x.pass),
    JSON.stringify(r.filter((x) => x.pass)),
  );
  const msg = Object.fromEntries(r.map((x) => [x.expectation, x.message]));
  const ctx = ' [connected as 10.8.0.9 (auth deferred, 3 re-checks; client-connect deferred, 2 re-checks)]';
  assert.equal(msg.outcome, `outcome rejected: got connected${ctx}`);
  assert.equal(msg.stage, `stage auth: got no stage (outcome connected)${ctx}`);
  assert.equal(msg.reason, `reason matches "wrong": got no reason (outcome connected)${ctx}`);
  assert.equal(msg.address, `address 10.8.0.1: got 10.8.0.9${ctx}`);
  assert.equal(msg.maxPolls, `at most 4 re-checks of deferred results: got 5${ctx}`);
  assert.equal(msg['deferred.auth'], `auth not deferred: got deferred${ctx}`);
  assert.equal(msg['options.absent[0]'], `option ifconfig-push absent: got "ifconfig-push 10.8.0.9 255.255.255.0"${ctx}`);
  assert.equal(msg['logs.contains[0]'], `a log line matches /FAIL/: got no line matches (2 log lines)${ctx}`);
  assert.equal(msg['logs.excludes[0]'], `no log line matches "result PASS": got "auth-defer: auth result PASS for foo"${ctx}`);
  assert.match(msg['hooks.equals']!, /^hooks called: TLS_VERIFY, AUTH_USER_PASS_VERIFY: got TLS_VERIFY, TLS_VERIFY, AUTH_USER_PASS_VERIFY, TLS_FINAL, /);
  const eq = r.find((x) => x.expectation === 'hooks.equals')!;
  assert.deepEqual(eq.expected, ['TLS_VERIFY', 'AUTH_USER_PASS_VERIFY']);
  assert.equal((eq.actual as string[]).length, 7);
  assert.equal(r.find((x) => x.expectation === 'maxPolls')!.actual, 5, 'auth polls + client-connect polls');
});

test('config equals ignores trailing whitespace only; option args must match exactly when given', () => {
  assert.deepEqual(
    verdicts(checkConnect('a', expect('config: { equals: "ifconfig-push 10.8.0.9 255.255.255.0\\npush \\"route 10.9.0.0 255.255.0.0\\"\\n\\n" }'), connected)),
    [['config.equals', true]],
  );
  assert.deepEqual(verdicts(checkConnect('a', expect('config: { equals: "ifconfig-push 10.8.0.9 255.255.255.0" }'), connected)), [['config.equals', false]]);
  assert.deepEqual(verdicts(checkConnect('a', expect('options: [{ name: ifconfig-push, args: [10.8.0.9] }]'), connected)), [['options.present[0]', false]]);
  assert.deepEqual(verdicts(checkConnect('a', expect('options: [{ name: ifconfig-push, args: [10.8.0.9, 255.255.255.0] }]'), connected)), [
    ['options.present[0]', true],
  ]);
});

test("a rejected client: reason matches the plugin's reason or what the client sees; config checks fail plainly", () => {
  const r = checkConnect(
    'mallory',
    expect(`outcome: rejected
stage: auth
reason: bad credentials for mallory
deferred: { auth: false, clientConnect: false }
hooks: [AUTH_USER_PASS_VERIFY]
config: { contains: [x] }`),
    rejected,
  );
  assert.deepEqual(verdicts(r), [
    ['outcome', true],
    ['stage', true],
    ['reason', true],
    ['config.contains[0]', false],
    ['deferred.auth', true],
    ['deferred.clientConnect', true],
    ['hooks.equals', true],
  ]);
  assert.match(r[3]!.message, /^config contains "x": got no config \(outcome rejected\) \[rejected at auth: AUTH_FAILED,bad credentials for mallory\]$/);
  assert.equal(checkConnect('m', expect('reason: AUTH_FAILED,bad'), rejected)[0]!.pass, true, 'what the client sees also counts');
  assert.equal(checkConnect('m', expect('reason: /^bad credentials/'), rejected)[0]!.pass, true);
  assert.deepEqual(reasonsOf(rejected), ['bad credentials for mallory', 'AUTH_FAILED,bad credentials for mallory']);
});

test('an unexpected crash fails even without an outcome expectation, and is flagged for exit code 4', () => {
  const none = checkConnect('a', {}, crashed);
  assert.deepEqual(verdicts(none), [['outcome', false]]);
  assert.equal(none[0]!.message, 'the plugin neither crashes nor hangs: got crashed [crashed: the plugin crashed with SIGSEGV in CLIENT_CONNECT_V2 of x.so]');
  assert.equal(unexpectedCrashOrHang(undefined, crashed), true);
  assert.equal(unexpectedCrashOrHang('connected', crashed), true);
  assert.equal(unexpectedCrashOrHang('crashed', crashed), false);
  assert.equal(unexpectedCrashOrHang('connected', connected), false);
  const expected = checkConnect('a', expect('outcome: crashed\nreason: SIGSEGV\nhooks: { includes: [TLS_VERIFY] }\ndeferred: { auth: false }'), crashed);
  assert.deepEqual(verdicts(expected), [
    ['outcome', true],
    ['reason', true],
    ['deferred.auth', false],
    ['hooks.includes[0]', false],
  ]);
  assert.deepEqual(checkConnect('a', {}, connected), [], 'nothing expected, nothing checked');
});

test('timeout and fatal results: stage and reason', () => {
  const timeout: ConnectResult = {
    ...common,
    outcome: 'timeout',
    stage: 'client-connect',
    pending: 'CLIENT_CONNECT_DEFER_V2 still DEFERRED after 60 s',
    hooks: [],
  };
  assert.deepEqual(verdicts(checkConnect('a', expect('outcome: timeout\nstage: client-connect\nreason: still DEFERRED'), timeout)), [
    ['outcome', true],
    ['stage', true],
    ['reason', true],
  ]);
  const fatal: ConnectResult = { ...common, outcome: 'fatal', stage: 'auth', reason: 'a second plugin deferred AUTH_USER_PASS_VERIFY', hooks: [] };
  assert.deepEqual(verdicts(checkConnect('a', expect('outcome: fatal\nreason: second plugin'), fatal)), [
    ['outcome', true],
    ['reason', true],
  ]);
  assert.equal(summarize(fatal), 'fatal at auth: a second plugin deferred AUTH_USER_PASS_VERIFY');
  assert.equal(summarize(timeout), 'timeout at client-connect: CLIENT_CONNECT_DEFER_V2 still DEFERRED after 60 s');
});

test('disconnect: outcome, hooks and logs', () => {
  const d: DisconnectResult = {
    outcome: 'disconnected',
    client: 'alice',
    hooks: [hook('CLIENT_DISCONNECT'), hook('LEARN_ADDRESS')],
    logs: [log('la', 'learn delete 10.8.0.9')],
    ms: 2,
  };
  const r = checkDisconnect(
    'alice',
    expectDisconnect('outcome: disconnected\nhooks: [CLIENT_DISCONNECT, LEARN_ADDRESS]\nlogs: { contains: [delete 10.8.0.9] }'),
    d,
  );
  assert.deepEqual(verdicts(r), [
    ['outcome', true],
    ['hooks.equals', true],
    ['logs.contains[0]', true],
  ]);
  assert.ok(r.every((x) => x.step === 'disconnect'));
  const hung: DisconnectResult = { outcome: 'hung', timeoutMs: 100, message: 'the plugin did not return within 100 ms', logs: [] };
  assert.deepEqual(verdicts(checkDisconnect('a', {}, hung)), [['outcome', false]]);
  assert.deepEqual(verdicts(checkDisconnect('a', expectDisconnect('outcome: hung\nhooks: []'), hung)), [
    ['outcome', true],
    ['hooks.equals', false],
  ]);
  assert.deepEqual(verdicts(checkDisconnect('a', expectDisconnect('hooks: []'), { ...d, hooks: [] })), [['hooks.equals', true]]);
});

test('a step that did not run fails each of its expectations with the reason', () => {
  const r = notRun('bob', 'connect', expect('outcome: connected\nlogs: { contains: [a, b] }'), 'the worker died (alice connect: crashed)');
  assert.deepEqual(
    r.map((x) => [x.expectation, x.pass, x.message]),
    [
      ['outcome', false, 'outcome: not checked, the worker died (alice connect: crashed)'],
      ['logs.contains[0]', false, 'logs.contains[0]: not checked, the worker died (alice connect: crashed)'],
      ['logs.contains[1]', false, 'logs.contains[1]: not checked, the worker died (alice connect: crashed)'],
    ],
  );
  assert.deepEqual(notRun('bob', 'disconnect', {}, 'x'), []);
});

test('maxBlockingMs: the longest hook call of the connect; decided: no timeout, no deferred auth expiring undecided', () => {
  const slow: ConnectedResult = { ...connected, hooks: [...connected.hooks, { ...hook('AUTH_USER_PASS_VERIFY'), ms: 3200 }] };
  const [ok] = checkConnect('alice', { maxBlockingMs: 1000 }, connected);
  assert.equal(ok!.pass, true);
  const [bad] = checkConnect('alice', { maxBlockingMs: 1000 }, slow);
  assert.equal(bad!.pass, false);
  assert.match(bad!.message, /no hook call blocks longer than 1000 ms: got AUTH_USER_PASS_VERIFY blocked 3200 ms/);
  // a crash is its own failure (outcome); it is not also a hook call that blocked too long, a hang is
  const afterCrash = checkConnect('alice', { maxBlockingMs: 1000 }, crashed).find((x) => x.expectation === 'maxBlockingMs');
  assert.equal(afterCrash!.pass, true, afterCrash!.message);
  const hung: ConnectResult = { outcome: 'hung', timeoutMs: 5000, message: 'the plugin did not return within 5000 ms', logs: [] };
  assert.equal(checkConnect('alice', { maxBlockingMs: 1000 }, hung).find((x) => x.expectation === 'maxBlockingMs')!.pass, false);
  const expired: RejectedResult = { ...rejected, reason: 'deferred auth not decided within hand-window: auth_control_file still undecided after 10000 ms' };
  assert.equal(checkConnect('alice', { decided: true }, connected)[0]!.pass, true);
  assert.equal(checkConnect('alice', { decided: true }, rejected)[0]!.pass, true, 'a verdict, even a rejection');
  assert.equal(checkConnect('alice', { decided: true }, expired)[0]!.pass, false);
  const s = parseScenario('plugins: [x.so]\nclients:\n  - expect: { maxBlockingMs: 500, decided: true }\n', 's.yaml');
  assert.deepEqual(s.clients[0]!.expect, { maxBlockingMs: 500, decided: true });
});
