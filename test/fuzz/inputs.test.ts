// Fuzzed client inputs never go beyond what a real OpenVPN 2.6.14 server passes a plugin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomClient } from '../../src/fuzz/inputs.js';
import { clampBytes, MAX_COMMON_NAME, MAX_PEER_INFO_LINE, MAX_USER_PASS } from '../../src/fuzz/limits.js';
import { Random } from '../../src/fuzz/random.js';

test('usernames, passwords, common names and peer info lines stay within OpenVPN limits; the forms vary', () => {
  const r = new Random(11);
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const c = randomClient(r);
    for (const v of [c.username, c.password]) if (typeof v === 'string') assert.ok(Buffer.byteLength(v) <= MAX_USER_PASS);
    if (c.commonName !== undefined) assert.ok(Buffer.byteLength(c.commonName) <= MAX_COMMON_NAME);
    for (const [k, v] of Object.entries(c.peerInfo ?? {})) assert.ok(k.length + 1 + Buffer.byteLength(v) <= MAX_PEER_INFO_LINE, `${k}=${v.length}`);
    if (typeof c.password === 'string') seen.add(c.password.slice(0, 5));
    if (c.address) assert.ok(c.address.port >= 1 && c.address.port <= 65535);
  }
  for (const form of ['SCRV1', 'CRV1:', '%s%s%', '']) assert.ok(seen.has(form), `a password starting ${JSON.stringify(form)}`);
  assert.equal(clampBytes('ü'.repeat(10), 5), 'üü', 'cut on a character boundary');
});
