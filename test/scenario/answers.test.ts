// A scenario client's answers: the runner, as the outside party, writes the bytes into the real deferral files of a
// real plugin's deferral at the moment asked (the connect tells it the file), OpenVPN's reading of them decides, and
// the connect step says what each write did. The schema refuses answers it cannot perform.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario } from '../../src/scenario/run.js';
import { ScenarioError, parseScenario } from '../../src/scenario/schema.js';
import { fixture } from '../helpers.js';

/** Run a scenario (YAML text) for real; each client's outcome and connect summary. */
async function run(yaml: string): Promise<Array<{ outcome: string; summary: string }>> {
  const report = await runScenario(parseScenario(yaml, '/tmp/answers.yaml'));
  assert.equal(report.closeError, undefined);
  return report.clients.map((c) => ({ outcome: c.steps[0]!.outcome, summary: c.steps[0]!.summary }));
}

test('auth_control_file: junk after a 0 rejects; a 2 keeps it pending until a 1; a late 1 is too late; a stage that never defers gets nothing', {
  timeout: 60_000,
}, async () => {
  const [zero, two, late, none] = await run(`
plugins: [{ path: ${fixture('auth-defer')}, args: [delay_ms=5000] }]
host: { handWindowMs: 1500 }
clients:
  - { name: zero, username: foo, password: bar, answers: [{ stage: auth, at: early, write: "0junk" }] }
  - { name: two, username: foo, password: bar, answers: [{ stage: auth, at: early, write: "2" }, { stage: auth, at: 300, write: 1 }] }
  - { name: late, username: foo, password: bar, answers: [{ stage: auth, at: late, write: 1 }] }
  - { name: none, username: foo, password: bar, answers: [{ stage: client-connect, at: early, write: 1 }, { stage: auth, at: early, write: 1 }] }
`);
  assert.equal(zero!.outcome, 'rejected', zero!.summary);
  assert.match(zero!.summary, /; answers: auth "0junk" early: written$/);
  assert.equal(two!.outcome, 'connected', two!.summary);
  assert.match(two!.summary, /answers: auth "2" early: written; auth "1" at 300 ms: written$/);
  assert.equal(late!.outcome, 'rejected', late!.summary);
  assert.match(late!.summary, /^rejected at auth: AUTH_FAILED; answers: auth "1" late: written$/);
  assert.equal(none!.outcome, 'connected', none!.summary);
  assert.match(
    none!.summary,
    /answers: client-connect "1" early: not written: no client_connect_deferred_file to write \(no such deferral\); auth "1" early: written$/,
  );
});

test('client_connect_deferred_file (plugin v1): unknown bytes fail it, 2 then 1 accepts it', { timeout: 60_000 }, async () => {
  const [junk, two] = await run(`
plugins: [{ path: ${fixture('cc-v1-file')}, args: [delay_ms=5000] }]
clients:
  - { name: junk, answers: [{ stage: client-connect, at: early, write: "x" }] }
  - { name: two, answers: [{ stage: client-connect, at: early, write: "2" }, { stage: client-connect, at: 200, write: "1\\n" }] }
`);
  assert.equal(junk!.outcome, 'rejected', junk!.summary);
  assert.match(junk!.summary, /answers: client-connect "x" early: written$/);
  assert.equal(two!.outcome, 'connected', two!.summary);
});

test('answers the runner cannot perform are bad scenarios', () => {
  const bad = (answers: string, problem: RegExp) =>
    assert.throws(
      () => parseScenario(`plugins: [{ path: /x.so }]\nclients:\n  - answers: ${answers}\n`, 's.yaml'),
      (e: unknown) => e instanceof ScenarioError && problem.test(e.message),
    );
  bad('[{ stage: auth, at: soon, write: "1" }]', /clients\[0\]\.answers\[0\]\.at: must be early, mid, late or a number of milliseconds \(got "soon"\)/);
  bad('[{ stage: tls, at: early, write: "1" }]', /answers\[0\]\.stage: must be one of auth, client-connect/);
  bad('[{ stage: auth, at: early }]', /answers\[0\]: give stage \(auth or client-connect\), at/);
  bad('[{ stage: auth, at: early, write: "✓" }]', /answers\[0\]\.write: one character per byte/);
  bad('[{ stage: auth, at: -1, write: "1" }]', /answers\[0\]\.at: must be a whole number/);
  const ok = parseScenario('plugins: [{ path: /x.so }]\nclients:\n  - answers: [{ stage: auth, at: 250, write: "\\xff\\0" }]\n', 's.yaml');
  assert.deepEqual(ok.clients[0]!.answers, [{ stage: 'auth', at: 250, write: '\xff\0' }]);
});
