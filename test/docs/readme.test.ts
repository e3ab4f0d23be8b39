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
