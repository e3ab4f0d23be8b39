// `fuzz` as a user runs it: durations, usage errors (exit 2, one line), a chain that does not load (exit 5), --json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDuration } from '../../src/cli/fuzz.js';
import { CLI, fixture } from '../helpers.js';

function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr });
    });
  });
}

test('--duration takes 90, 90s, 2m, 1h, 500ms; anything else is refused', () => {
  assert.equal(parseDuration('90'), 90_000);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('500ms'), 500);
  for (const bad of ['', '0', '-1s', '5x', '1e9', '8d']) assert.throws(() => parseDuration(bad), /expected a duration/, bad);
});

test('fuzz: usage errors are one line with exit 2; a plugin that does not load is exit 5; --json is one document', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ovph-fuzz-cli-'));
  try {
    for (const args of [
      ['fuzz'],
      ['fuzz', fixture('per-client'), '--runs', '0'],
      ['fuzz', fixture('per-client'), '--runs', '2', '--duration', '5s'],
      ['fuzz', fixture('per-client'), '--duration', 'soon'],
    ]) {
      const r = await cli(args, dir);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    const missing = await cli(['fuzz', join(dir, 'nope.so'), '--runs', '2'], dir);
    assert.equal(missing.code, 5, missing.stderr);
    assert.match(missing.stderr, /nope\.so/);
    const j = await cli(['fuzz', fixture('per-client'), '--runs', '2', '--seed', '9', '--json'], dir);
    assert.equal(j.code, 0, j.stderr);
    const report = JSON.parse(j.stdout) as { outcome: string; seed: number; runs: number; findings: unknown[] };
    assert.deepEqual([report.outcome, report.seed, report.runs, report.findings], ['done', 9, 2, []]);
    assert.deepEqual(readdirSync(dir), [], 'no finding: nothing written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
