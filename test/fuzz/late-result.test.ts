// fuzz --answer-deferrals (and the deadlines plans shorten) end a deferred client before the plugin's own answer:
// bug-late-result's thread then reads the context the destructor freed. fuzz finds that crash with a fixed seed, the
// scenario it writes replays it with `run` (exit 4); the fuzzer's early answer alone is enough to make it crash (and
// without it the same scenario is clean); a clean deferring chain gives no finding under the same option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { fuzz } from '../../src/fuzz/fuzz.js';
import { CLI, fixture } from '../helpers.js';

const exec = promisify(execFile);

async function cli(...args: string[]): Promise<{ code: number; out: string; stdout: string }> {
  try {
    const r = await exec(process.execPath, [CLI, ...args]);
    return { code: 0, out: r.stdout + r.stderr, stdout: r.stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr, stdout: err.stdout };
  }
}

// in close (which wakes the waiting threads), or between calls when the thread's own time came first
const CRASH = /^crashed SIGSEGV in (close of bug-late-result\.so|no plugin call) at answer\+0x[0-9a-f]+$/;

test('fuzz --answer-deferrals finds the thread that answers after its client ended; run replays it (exit 4)', { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'ovph-fuzz-'));
  try {
    const r = await cli('fuzz', fixture('bug-late-result'), '--answer-deferrals', '--runs', '20', '--seed', '1', '--stop-on-failure', '--out', out, '--json');
    assert.equal(r.code, 1, r.out);
    const report = JSON.parse(r.stdout) as { findings: Array<{ signature: string; file: string }> };
    assert.equal(report.findings.length, 1, r.stdout);
    const f = report.findings[0]!;
    assert.match(f.signature, CRASH);
    const s = parse(readFileSync(f.file, 'utf8')) as { host: { handWindowMs: number }; clients: Array<Record<string, unknown>> };
    assert.equal(s.clients.length, 1);
    // the client ended before the plugin's thread answered (500 ms): a shortened deadline, a vanish, or an answer
    const c = s.clients[0]!;
    assert.ok(s.host.handWindowMs < 500 || (c.steps as string[] | undefined)?.includes('vanish') || c.answers !== undefined, JSON.stringify(s));
    const again = await cli('run', f.file);
    assert.equal(again.code, 4, again.out);
    assert.match(again.out, /crashed: the plugin crashed with SIGSEGV (in close of \S+bug-late-result\.so )?at answer\+0x[0-9a-f]+/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("the fuzzer's early answer alone ends the client before the plugin's thread: a crash; without it the same scenario is clean", {
  timeout: 60_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ovph-late-'));
  try {
    const scenario = (answers: string) => `
plugins: [{ path: ${fixture('bug-late-result')} }]
clients:
  - username: foo
    password: bar
${answers}    expect: { outcome: connected, decided: true }
`;
    const answered = join(dir, 'answered.yaml');
    const plain = join(dir, 'plain.yaml');
    writeFileSync(answered, scenario('    answers: [{ stage: auth, at: early, write: "1" }]\n'));
    writeFileSync(plain, scenario(''));
    const crash = await cli('run', answered);
    assert.equal(crash.code, 4, crash.out);
    assert.match(crash.out, /answers: auth "1" early: written/);
    assert.match(crash.out, /closing the plugin chain crashed: .* at answer\+0x/);
    const clean = await cli('run', plain);
    assert.equal(clean.code, 0, clean.out);
    // a second client after the first: its context does not take the freed one's place, the thread still crashes
    const two = join(dir, 'two.yaml');
    writeFileSync(
      two,
      `plugins: [{ path: ${fixture('bug-late-result')} }]\nsequential: true\nclients:\n`
        + '  - { username: foo, password: bar, answers: [{ stage: auth, at: early, write: "1" }] }\n  - { username: foo, password: bar }\n',
    );
    const second = await cli('run', two);
    assert.equal(second.code, 4, second.out);
    assert.match(second.out, /crashed with SIGSEGV (in close of \S+ )?at answer\+0x/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("several clients' threads crash at once when close wakes them: the crash is still named, every time", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ovph-late-'));
  try {
    const file = join(dir, 'three.yaml');
    const client = '  - { username: foo, password: bar }\n';
    writeFileSync(file, `plugins: [{ path: ${fixture('bug-late-result')} }]\nhost: { handWindowMs: 50 }\nclients:\n${client.repeat(8)}`);
    for (let i = 0; i < 6; i++) {
      const r = await cli('run', file);
      assert.equal(r.code, 4, r.out);
      assert.match(r.out, /closing the plugin chain crashed: the plugin crashed with SIGSEGV in close of \S+ at answer\+0x/, `run ${i + 1}: ${r.out}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a clean deferring chain (auth_control_file, client_connect_deferred_file) gives no finding under the same option', { timeout: 120_000 }, async () => {
  const plugins = [
    { path: fixture('auth-defer'), args: ['delay_ms=300'] },
    { path: fixture('cc-v1-file'), args: ['delay_ms=300'] },
  ];
  const r = await fuzz({ plugins, runs: 20, seed: 1, answerDeferrals: true, minimiseRuns: 0 });
  assert.equal(r.outcome, 'done');
  if (r.outcome !== 'done') return;
  assert.deepEqual(
    r.findings.map((f) => f.summary),
    [],
  );
});
