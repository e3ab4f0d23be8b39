// The caller's process never loads koffi or the native runtime: only the worker does. A process that imports the
// package, opens a host, connects a client and closes it has neither mapped (/proc/self/maps), while the worker has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ROOT, fixture } from '../helpers.js';

const run = promisify(execFile);

const NATIVE = /koffi|libovph-runtime/;

test('importing the package, opening a host, connecting a client and closing maps no koffi in the caller', async () => {
  const entry = pathToFileURL(join(ROOT, 'dist', 'index.js')).href;
  const script = `
    import { readFileSync } from 'node:fs';
    const { openHost } = await import(${JSON.stringify(entry)});
    const native = (pid) => readFileSync('/proc/' + pid + '/maps', 'utf8').split('\\n').filter((l) => ${NATIVE}.test(l)).length;
    const host = await openHost({ plugins: [{ path: ${JSON.stringify(fixture('cc-v2-defer'))}, args: ['polls=2'] }] });
    const worker = native(host.workerPid);
    const client = host.client();
    const connected = (await client.connect()).outcome;
    await client.disconnect();
    await host.close();
    console.log(JSON.stringify({ connected, caller: native('self'), worker }));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
  const r = JSON.parse(stdout) as { connected: string; caller: number; worker: number };
  assert.equal(r.connected, 'connected');
  assert.ok(r.worker > 0, 'the worker has koffi and the runtime mapped (so the check sees them where they are)');
  assert.equal(r.caller, 0, 'the caller has no koffi and no native runtime mapped');
});
