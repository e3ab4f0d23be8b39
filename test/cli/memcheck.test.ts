// connect --memcheck from the command line, as a user runs it: valgrind's findings in the plugin printed with their
// hook, plugin, client and plugin frame (exit 6), the same in --json, and one line (exit 5) without valgrind; fuzz
// --memcheck writes a leak as a failure that run --memcheck replays (exit 6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from '../helpers.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env, timeout: 240_000 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      resolve({ code: err ? (typeof code === 'number' ? code : null) : 0, stdout, stderr });
    });
  });
}

/** One valgrind run at a time (each takes 15-30 s of the machine's CPU). */
const serial = { concurrency: 1, timeout: 300_000 };

test('connect --memcheck: the over-read is printed with its hook, plugin, client, plugin line and block; exit 6', serial, async () => {
  const r = await cli(['connect', 'build/fixtures/bug-heap-overread.so', '--memcheck']);
  assert.equal(r.code, 6, r.stderr);
  assert.match(r.stdout, /^CONNECTED as /);
  assert.match(r.stdout, /\nmemcheck: \d+ findings? in the plugin \(\d+ findings in Node\/V8\/koffi ignored\):\n/);
  assert.match(r.stdout, /\n {2}InvalidRead during TLS_FINAL of build\/fixtures\/bug-heap-overread\.so, client #1: Invalid read of size 1\n/);
  assert.match(r.stdout, /\n {4}at openvpn_plugin_func_v3 \(bug-heap-overread\.c:28\)\n/);
  assert.match(r.stdout, /\n {4}Address 0x[0-9a-f]+ is 0 bytes after a block of size 11 alloc'd, at openvpn_plugin_func_v3 \(bug-heap-overread\.c:\d+\)/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
});

test('connect --memcheck --json: the report is the result\'s "memcheck", leaks with their bytes per call; exit 6', serial, async () => {
  const r = await cli(['connect', 'build/fixtures/bug-leak.so', '--memcheck', '--json']);
  assert.equal(r.code, 6, r.stderr);
  const j = JSON.parse(r.stdout) as { outcome: string; memcheck: { clean: boolean; leaks: unknown[]; findings: Array<{ kind: string; where: string }> } };
  assert.equal(j.outcome, 'connected');
  assert.equal(j.memcheck.clean, false);
  assert.deepEqual(j.memcheck.leaks, [{ during: { plugin: 'build/fixtures/bug-leak.so', call: 'CLIENT_CONNECT_V2', client: 0 }, when: 'call', bytes: 76 }]);
  assert.deepEqual(
    j.memcheck.findings.map((f) => [f.kind, f.where]),
    [['Leak_DefinitelyLost', 'openvpn_plugin_func_v3 (bug-leak.c:25)']],
  );
});

test('connect --memcheck without valgrind on PATH: one line saying what to install, exit 5', serial, async () => {
  const r = await cli(['connect', 'build/fixtures/per-client.so', '--memcheck'], { ...process.env, PATH: '/nonexistent' });
  assert.equal(r.code, 5);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'ovpn-plugin-host: memcheck needs valgrind, which is not on PATH: install it (Debian: apt-get install valgrind)\n');
});

test('fuzz --memcheck: a leak is a failure of kind memcheck, written as a scenario that run --memcheck replays (exit 6)', serial, async () => {
  const out = mkdtempSync(join(tmpdir(), 'ovph-memcheck-fuzz-'));
  try {
    const f = await cli(['fuzz', 'build/fixtures/bug-leak.so', '--runs', '1', '--seed', '1', '--memcheck', '--no-minimise', '--out', out]);
    assert.equal(f.code, 1, f.stderr);
    assert.match(f.stdout, /\n {2}memcheck Leak_DefinitelyLost in CLIENT_CONNECT_V2 of bug-leak\.so at openvpn_plugin_func_v3 \(bug-leak\.c:25\): 1 run/);
    const [file] = readdirSync(out);
    assert.ok(file, 'a scenario was written');
    assert.match(f.stdout, new RegExp(`replay: {5}ovpn-plugin-host run --memcheck ${join(out, file).replace(/[.]/g, '\\.')}\n`));
    const text = readFileSync(join(out, file), 'utf8');
    assert.match(text, /^# replay: ovpn-plugin-host run --memcheck <this file> \(fails while the bug is there: exit 6\)$/m);
    const run = await cli(['run', '--memcheck', join(out, file)]);
    assert.equal(run.code, 6, run.stdout + run.stderr);
    assert.match(run.stdout, /\n✗ memcheck: \d+ findings? in the plugin/);
    assert.match(run.stdout, /\nFAIL memcheck found \d+ memory error\(s\) or leak\(s\) in the plugin/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
