// The channel check before every reply reads each descriptor's device and inode with libc's fstat into a reused
// buffer: the same identity fs.fstatSync gives, told apart when a descriptor is replaced, undefined once closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fdIdentity } from '../../src/worker/channels.js';

test('fdIdentity: the device and inode fs.fstatSync reports; another file differs; a closed fd has none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fd-identity-'));
  try {
    writeFileSync(join(dir, 'a'), '');
    writeFileSync(join(dir, 'b'), '');
    const a = openSync(join(dir, 'a'), 'r');
    const b = openSync(join(dir, 'b'), 'r');
    const st = fstatSync(a);
    assert.deepEqual(fdIdentity(a), { dev: st.dev, ino: st.ino });
    assert.notDeepEqual(fdIdentity(b), fdIdentity(a));
    closeSync(a);
    closeSync(b);
    assert.equal(fdIdentity(a), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
