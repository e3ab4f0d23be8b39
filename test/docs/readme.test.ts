// The README's library example (the block after <!-- readme-example -->) runs as written, against the built dist/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ROOT } from '../helpers.js';

const run = promisify(execFile);

test('README: the library example test passes when run with node --test', async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- readme-example -->\s*```js\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, 'README has a readme-example block');
  const code = m[1]!.replace(`from 'ovpn-plugin-host'`, `from '${pathToFileURL(join(ROOT, 'dist', 'index.js')).href}'`);
  assert.notEqual(code, m[1], 'the example imports ovpn-plugin-host');
  const dir = mkdtempSync(join(tmpdir(), 'readme-example-'));
  try {
    const file = join(dir, 'example.test.mjs');
    writeFileSync(file, code);
    // A nested runner would report to ours through NODE_TEST_CONTEXT: run it as a plain process.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const { stdout } = await run(process.execPath, ['--test', '--test-reporter=tap', file], { cwd: ROOT, env });
    assert.match(stdout, /# pass 1\n/);
    assert.match(stdout, /# fail 0\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('README: the fuzz session finds and replays the bug as shown (same seed, same finding, same replay file)', { timeout: 180_000 }, async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /\$ node dist\/cli\.cjs (fuzz [^\n]+)\n([\s\S]*?)\$ node dist\/cli\.cjs (run [^\n]+)\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, 'README has a fuzz session followed by its replay');
  const [, fuzzCmd, fuzzOut, runCmd, runOut] = m;
  const finding = /^ {2}(crashed [^:]+): /m.exec(fuzzOut!)?.[1];
  assert.ok(finding, 'the session shows a finding');
  const dir = mkdtempSync(join(tmpdir(), 'readme-fuzz-'));
  try {
    const cli = join(ROOT, 'dist', 'cli.cjs');
    const args = (cmd: string) => cmd.split(' ').map((a) => (a.startsWith('build/') ? join(ROOT, a) : a));
    const fz = await run(process.execPath, [cli, ...args(fuzzCmd!)], { cwd: dir }).then(
      () => assert.fail('fuzz exits 1 when it finds a failure'),
      (e: { code: number; stdout: string }) => e,
    );
    assert.equal(fz.code, 1);
    assert.match(fz.stdout, /^1 distinct failure:$/m);
    assert.ok(fz.stdout.includes(`  ${finding}: `), `the same finding as in the README:\n${fz.stdout}`);
    assert.ok(fz.stdout.includes(`replay:     ovpn-plugin-host ${runCmd}`), `the same replay file:\n${fz.stdout}`);
    const replay = await run(process.execPath, [cli, ...args(runCmd!)], { cwd: dir }).then(
      () => assert.fail('the replay fails while the bug is there'),
      (e: { code: number; stdout: string }) => e,
    );
    assert.equal(replay.code, 4, 'exit 4: a crash');
    const crashLine = /^ {2}connect {4}(crashed: [^\n]*?) \(\d+ ms\)$/m.exec(runOut!)?.[1]?.replace('/…/', '');
    assert.ok(crashLine);
    assert.ok(replay.stdout.replace(/\/\S*\/(bug-stack-username\.so)/g, '$1').includes(crashLine.replace(/\/…\//g, '')), replay.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
