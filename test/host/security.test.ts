// Security hygiene: private 0700 temp dir with 0600 files, scripts run from argv without a shell, env values verbatim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHost } from '../../src/index.js';
import { fixture } from '../helpers.js';

function hostTempDirs(): string[] {
  return readdirSync(tmpdir())
    .filter((n) => n.startsWith('ovpn-plugin-host-'))
    .map((n) => join(tmpdir(), n));
}

test('security: auth control files are 0600 in a private 0700 directory, removed with the host', async () => {
  const before = new Set(hostTempDirs());
  const host = await openHost({ plugins: [{ path: fixture('auth-defer'), args: ['delay_ms=400'] }] });
  try {
    const pending = host.client({ username: 'foo', password: 'bar' }).connect();
    await new Promise((r) => setTimeout(r, 150));
    const mine = hostTempDirs().filter((d) => !before.has(d));
    assert.equal(mine.length, 1, `one new temp dir: ${mine.join(', ')}`);
    const dir = mine[0]!;
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const files = readdirSync(dir);
    assert.ok(
      files.some((f) => /^openvpn_acf_[0-9a-f]{32}\.tmp$/.test(f)),
      files.join(', '),
    );
    for (const f of files) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
    assert.equal((await pending).outcome, 'connected');
  } finally {
    await host.close();
  }
  assert.deepEqual(
    hostTempDirs().filter((d) => !before.has(d)),
    [],
  );
});

test('security: a --client-connect script gets env values verbatim and runs without a shell', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sec-test-'));
  const marker = join(dir, 'pwned');
  const out = join(dir, 'seen');
  const script = join(dir, 'cc.sh');
  writeFileSync(script, `#!/bin/sh\nprintf '%s' "$EVIL" > "${out}"\nexit 0\n`);
  chmodSync(script, 0o755);
  const evil = `$(touch ${marker}); \`touch ${marker}\` ' " ; touch ${marker}`;
  try {
    const host = await openHost({ plugins: [{ path: fixture('v3-basic') }] });
    try {
      // The script path itself contains no shell syntax; its argv is [script, config file].
      const r = await host.client({ username: 'foo', password: 'bar', env: { EVIL: evil } }).connect({ script: [script] });
      assert.notEqual(r.outcome, 'crashed');
    } finally {
      await host.close();
    }
    assert.equal(readFileSync(out, 'utf8'), evil);
    assert.equal(existsSync(marker), false, 'nothing in the value was executed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
