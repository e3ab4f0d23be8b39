// OVPN_PLUGIN_HOST_WORKER_NODE_FLAGS gives the worker Node flags that NODE_OPTIONS refuses (docs/profiling.md): with
// --cpu-prof the worker writes its CPU profile when the host closes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHost } from '../../src/host/host.js';
import { fixture } from '../helpers.js';

test('the worker gets the flags of OVPN_PLUGIN_HOST_WORKER_NODE_FLAGS: --cpu-prof writes its profile at close', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'worker-flags-'));
  const before = process.env.OVPN_PLUGIN_HOST_WORKER_NODE_FLAGS;
  process.env.OVPN_PLUGIN_HOST_WORKER_NODE_FLAGS = ` --cpu-prof   --cpu-prof-dir=${dir} `;
  try {
    const host = await openHost({ plugins: [{ path: fixture('v3-basic') }] });
    const argv = readFileSync(`/proc/${host.workerPid}/cmdline`, 'utf8').split('\0');
    assert.ok(argv.includes('--cpu-prof') && argv.includes(`--cpu-prof-dir=${dir}`), argv.join(' '));
    assert.equal(await host.close(), undefined);
    const profiles = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    // (run from source, tsx's loader thread writes one too)
    assert.ok(profiles.length >= 1, `a profile in ${dir}: ${readdirSync(dir).join(', ')}`);
    assert.ok(Array.isArray(JSON.parse(readFileSync(join(dir, profiles[0]!), 'utf8')).nodes));
  } finally {
    if (before === undefined) delete process.env.OVPN_PLUGIN_HOST_WORKER_NODE_FLAGS;
    else process.env.OVPN_PLUGIN_HOST_WORKER_NODE_FLAGS = before;
    rmSync(dir, { recursive: true, force: true });
  }
});
