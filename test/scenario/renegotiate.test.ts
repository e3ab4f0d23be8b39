// The `renegotiate` scenario step: steps [connect, renegotiate*, disconnect?], expectRenegotiate (one mapping for every
// step, or a list, one per step), and a run through the library with real fixtures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScenarioError, parseScenario } from '../../src/scenario/schema.js';
import { runScenario } from '../../src/scenario/run.js';
import { junitXml } from '../../src/scenario/junit.js';
import { fixture } from '../helpers.js';

const MIN = 'plugins: [./p.so]\nclients:\n  - name: a\n';

function error(text: string): string {
  try {
    parseScenario(text, 'scenario.yaml', '/work');
  } catch (err) {
    assert.ok(err instanceof ScenarioError, String(err));
    return err.message;
  }
  assert.fail('the scenario was accepted');
}

test('steps: connect, renegotiate any number of times, disconnect if wanted; one expectRenegotiate mapping applies to each', () => {
  const s = parseScenario(
    `${MIN}    steps: [connect, renegotiate, renegotiate]\n    expectRenegotiate: { outcome: renewed, deferred: true, token: { sessionState: Authenticated } }\n`,
    'x.yaml',
    '/w',
  );
  const c = s.clients[0]!;
  assert.deepEqual(c.steps, ['connect', 'renegotiate', 'renegotiate']);
  assert.equal(c.expectRenegotiate.length, 2);
  assert.deepEqual(c.expectRenegotiate[1], { outcome: 'renewed', deferred: true, token: { sessionState: 'Authenticated' } });
  const l = parseScenario(
    `${MIN}    steps: [connect, renegotiate, renegotiate, disconnect]\n    expectRenegotiate: [{ outcome: renewed }, { outcome: rejected, stage: auth }]\n`,
    'x.yaml',
    '/w',
  );
  assert.deepEqual(l.clients[0]!.expectRenegotiate, [{ outcome: 'renewed' }, { outcome: 'rejected', stage: 'auth' }]);
});

test('bad renegotiate steps and expectations: one line each', () => {
  const cases: Array<[string, string]> = [
    [
      `${MIN}    steps: [renegotiate, connect]\n`,
      'clients[0].steps: must be connect, then renegotiate any number of times, then disconnect if wanted; or [connect, vanish] (got [renegotiate, connect])',
    ],
    [`${MIN}    steps: [connect, disconnect, renegotiate]\n`, 'clients[0].steps: must be connect, then renegotiate'],
    [`${MIN}    expectRenegotiate: { outcome: renewed }\n`, 'clients[0].expectRenegotiate: the client has no renegotiate step (add renegotiate to steps)'],
    [
      `${MIN}    steps: [connect, renegotiate]\n    expectRenegotiate: [{}, {}]\n`,
      'clients[0].expectRenegotiate: a list gives one entry per renegotiate step: 1 step(s), 2 entries',
    ],
    [
      `${MIN}    steps: [connect, renegotiate]\n    expectRenegotiate: { outcome: connected }\n`,
      'clients[0].expectRenegotiate.outcome: must be one of renewed, rejected, fatal, crashed, hung (got "connected")',
    ],
    [
      `${MIN}    steps: [connect, renegotiate]\n    expectRenegotiate: { token: { sessionState: Initial } }\n`,
      'clients[0].expectRenegotiate.token.sessionState: must be one of Authenticated, Expired (got "Initial")',
    ],
  ];
  for (const [text, msg] of cases) assert.ok(error(text).includes(msg), `${error(text)}\n  does not include\n${msg}`);
});

test('run: renewed renegotiations, then a failed one that kills the tunnel; the steps after it are not run, the disconnect is', async () => {
  const s = parseScenario(
    `
plugins:
  - ${fixture('auth-nth')} fail=3
  - ${fixture('learn-address')}
server: [auth-gen-token 0 external-auth]
clients:
  - name: a
    username: foo
    steps: [connect, renegotiate, renegotiate, renegotiate, disconnect]
    expectRenegotiate:
      - { outcome: renewed, token: { sessionState: Authenticated, pluginsSkipped: false }, hooks: [AUTH_USER_PASS_VERIFY] }
      - { outcome: rejected, reason: "re-auth 3 refused", hooks: [AUTH_USER_PASS_VERIFY, CLIENT_DISCONNECT, LEARN_ADDRESS] }
      - { outcome: renewed }
    expectDisconnect: { outcome: disconnected, hooks: [] }
`,
    'reneg.yaml',
    '/',
  );
  const report = await runScenario(s);
  const steps = report.clients[0]!.steps;
  assert.deepEqual(
    steps.map((x) => `${x.step}${x.renegotiation ? ` ${x.renegotiation}` : ''} ${x.outcome}`),
    ['connect connected', 'renegotiate 1 renewed', 'renegotiate 2 rejected', 'renegotiate 3 not-run', 'disconnect disconnected'],
  );
  const failed = steps.flatMap((x) => x.expectations.filter((e) => !e.pass).map((e) => `${e.step} ${e.message}`));
  assert.deepEqual(failed, ['renegotiate outcome: not checked, the tunnel ended at renegotiation 2 (rejected)']);
  assert.equal(report.passed, false);
  const xml = junitXml([report]);
  assert.ok(xml.includes('name="renegotiate 3: outcome"') && xml.includes('name="renegotiate 2: outcome rejected"'), xml);
});
