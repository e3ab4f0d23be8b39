// `run <scenario>` end to end through the built CLI: every example in examples/scenarios/ passes (exit 0); a failing
// scenario exits 1 with a JUnit <failure>; bad scenarios exit 2 with one line; crashes 4; load errors 5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from '../helpers.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const TMP = mkdtempSync(join(tmpdir(), 'ovph-scenario-test-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));

function run(args: string[]): Promise<Run> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is not built: run 'make build' first`);
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'run', ...args], { cwd: ROOT, env: { ...process.env, TMPDIR: TMP }, timeout: 60_000 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout, stderr });
    });
  });
}

/** A scenario file in the temp dir (plugin paths relative to the repository's build/fixtures). */
function scenarioFile(name: string, text: string): string {
  const file = join(TMP, name);
  writeFileSync(file, text.replaceAll('FIXTURES', join(ROOT, 'build', 'fixtures')));
  return file;
}

function assertOneLine(r: Run, re: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, re);
  assert.doesNotMatch(r.stderr, /\n\s+at |node:internal/, 'a stack trace was printed');
  assert.equal(r.stdout, '');
}

const EXAMPLES = join(ROOT, 'examples', 'scenarios');
const examples = readdirSync(EXAMPLES)
  .filter((f) => /\.(ya?ml|json)$/.test(f))
  .sort();

test('there are YAML and JSON examples', () => {
  assert.ok(
    examples.some((f) => f.endsWith('.json')),
    examples.join(' '),
  );
  assert.ok(examples.filter((f) => /\.ya?ml$/.test(f)).length >= 4, examples.join(' '));
});

for (const file of examples) {
  test(`example ${file} passes (exit 0)`, async () => {
    const r = await run([join('examples', 'scenarios', file)]);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /\nPASS \d+ expectations? held /);
    assert.doesNotMatch(r.stdout, /✗/);
  });
}

test('a failing scenario: exit 1, ✗ lines with what was found, the log, and a JUnit file with a <failure>', async () => {
  const junit = join(TMP, 'failing.xml');
  const r = await run(['test/data/scenario-failing.yaml', '--junit', junit]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /✗ outcome connected: got rejected \[rejected at auth: AUTH_FAILED,bad credentials for mallory\]/);
  assert.match(r.stdout, /✓ a log line matches \/user=mallory ERROR\//);
  assert.match(r.stdout, /plugin log while mallory ran:\n\s+auth-reason: AUTH_USER_PASS_VERIFY user=mallory ERROR/);
  assert.match(r.stdout, /\nFAIL 1 of 3 expectations failed \(2 clients, /);
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /<testsuite name="a failing scenario" file="test\/data\/scenario-failing\.yaml" tests="3" failures="1"/);
  assert.match(
    xml,
    /<testcase classname="a failing scenario\.mallory" name="connect: outcome connected">\n\s+<failure message="outcome connected: got rejected/,
  );
  assert.match(xml, /<testcase classname="a failing scenario\.alice" name="connect: outcome connected"\/>/);
});

test('--json: one JSON report with scenario, passed, clients/steps/expectations, plugins, ms', async () => {
  const r = await run(['test/data/scenario-failing.yaml', '--json']);
  assert.equal(r.code, 1);
  const j = JSON.parse(r.stdout) as {
    scenario: string;
    passed: boolean;
    exitCode: number;
    ms: number;
    plugins: Array<{ path: string; args: string[] }>;
    clients: Array<{
      name: string;
      steps: Array<{
        step: string;
        outcome: string;
        expectations: Array<{ expectation: string; pass: boolean; expected: unknown; actual: unknown; message: string }>;
      }>;
    }>;
  };
  assert.equal(j.scenario, 'a failing scenario');
  assert.equal(j.passed, false);
  assert.equal(j.exitCode, 1);
  assert.ok(j.ms > 0);
  assert.deepEqual(j.plugins, [{ path: join(ROOT, 'build', 'fixtures', 'auth-reason.so'), args: [] }]);
  assert.deepEqual(
    j.clients.map((c) => [c.name, c.steps.map((s) => `${s.step}:${s.outcome}`)]),
    [
      ['mallory', ['connect:rejected', 'disconnect:disconnected']],
      ['alice', ['connect:connected', 'disconnect:disconnected']],
    ],
  );
  const out = j.clients[0]!.steps[0]!.expectations[0]!;
  assert.deepEqual([out.expectation, out.pass, out.expected, out.actual], ['outcome', false, 'connected', 'rejected']);
  assert.equal(r.stderr, '');
});

test('an unexpected crash: exit 4, the rest not run; the same crash expected: exit 0', async () => {
  const junit = join(TMP, 'crash.xml');
  const r = await run(['test/data/scenario-crash.yaml', '--junit', junit]);
  assert.equal(r.code, 4, r.stdout + r.stderr);
  assert.match(r.stdout, /✗ outcome connected: got crashed \[crashed: the plugin crashed with SIGSEGV/);
  assert.match(r.stdout, /disconnect not run: the worker died \(victim connect: crashed\)/);
  assert.match(r.stdout, /FAIL 1 of 1 expectation failed; unexpected crash or hang in victim connect/);
  assert.match(readFileSync(junit, 'utf8'), /<failure message="outcome connected: got crashed/);
  const expected = scenarioFile(
    'crash-expected.yaml',
    'plugins: ["FIXTURES/fault-signal.so where=hook how=crash auth=1 tls=1"]\nclients:\n  - expect: { outcome: crashed, reason: SIGSEGV }\n',
  );
  const ok = await run([expected]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
});

test('a hang beyond host.callTimeoutMs is reported as hung (exit 4 unless expected)', async () => {
  const file = scenarioFile(
    'hang.yaml',
    'plugins: ["FIXTURES/fault-hang.so where=hook auth=1"]\nhost: { callTimeoutMs: 300 }\nclients:\n  - username: foo\n    expect: { outcome: hung }\n',
  );
  const r = await run([file]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /✓ outcome hung/);
});

test('a plugin that does not load: the report says so, exit 5 (JUnit too)', async () => {
  const file = scenarioFile('missing.yaml', 'plugins: [./no-such-plugin.so]\nclients: [{ expect: { outcome: connected } }]\n');
  const junit = join(TMP, 'missing.xml');
  const r = await run([file, '--junit', junit]);
  assert.equal(r.code, 5, r.stdout + r.stderr);
  assert.match(r.stdout, /✗ the plugin chain did not load: .*no-such-plugin\.so: no such file/);
  assert.match(readFileSync(junit, 'utf8'), /name="load and open the plugin chain">\n\s+<failure message="[^"]*no-such-plugin\.so: no such file/);
  const json = await run([file, '--json']);
  assert.equal(json.code, 5);
  const j = JSON.parse(json.stdout) as { loadError: { outcome: string; kind: string }; passed: boolean };
  assert.deepEqual([j.loadError.outcome, j.loadError.kind, j.passed], ['load-error', 'not-found', false]);
});

test('bad scenarios: one line file:line: field: problem on stderr, exit 2, no stack trace', async () => {
  const bad = scenarioFile('bad.yaml', 'plugins: [FIXTURES/auth-reason.so]\nclients:\n  - name: a\n  - name: b\n    expect:\n      outcome: ok\n');
  assertOneLine(
    await run([bad]),
    /^ovpn-plugin-host: .*bad\.yaml:6: clients\[1\]\.expect\.outcome: must be one of connected, rejected, timeout, fatal, dropped, crashed, hung \(got "ok"\)$/,
  );
  const typo = scenarioFile('typo.json', '{\n  "plugins": ["x.so"],\n  "clients": [{ "expect": { "outcom": "connected" } }]\n}\n');
  const t = await run([typo, '--json']);
  assert.equal(t.code, 2);
  assertOneLine(t, /typo\.json:3: clients\[0\]\.expect\.outcom: unknown key \(did you mean "outcome"\?\)$/);
  const syntax = scenarioFile('syntax.yaml', 'plugins: [x.so\nclients: []\n');
  const s = await run([syntax]);
  assert.equal(s.code, 2);
  assertOneLine(s, /syntax\.yaml:\d+: YAML syntax error: /);
  const missing = await run([join(TMP, 'nope.yaml')]);
  assert.equal(missing.code, 2);
  assertOneLine(missing, /nope\.yaml: cannot read the scenario file: no such file$/);
  const dir = await run([TMP]);
  assert.equal(dir.code, 2);
  assertOneLine(dir, /cannot read the scenario file: is a directory$/);
  const cert = scenarioFile('cert.yaml', 'plugins: [FIXTURES/auth-reason.so]\nclients:\n  - name: a\n    cert: certs/none.pem\n');
  const c = await run([cert]);
  assert.equal(c.code, 2);
  assertOneLine(c, /cert\.yaml:4: clients\[0\]\.cert: no such file .*certs\/none\.pem$/);
  const usage = await run([]);
  assert.equal(usage.code, 2);
});

test('run --junit into a place that cannot be written still prints the --json report, then says why, exit 2 (#13)', async () => {
  const r = await run(['examples/scenarios/client-connect-v2.yaml', '--json', '--junit', '/nonexistent-dir/report.xml']);
  assert.equal(r.code, 2, r.stderr);
  const report = JSON.parse(r.stdout) as { exitCode: number };
  assert.equal(report.exitCode, 0, 'the results are there');
  assert.match(r.stderr, /--junit \/nonexistent-dir\/report\.xml: cannot write the report/);
});
