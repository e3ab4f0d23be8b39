// The peer info a client sends: the 2.6.14 defaults, UV_* variables (which make it a --push-peer-info client), and
// names a client never sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PEER_INFO, clientPeerInfo } from '../../src/openvpn/peer-info.js';

const names = (lines: Array<[string, string]>) => lines.map(([k]) => k);

test('the defaults, with IV_* additions and overrides in place', () => {
  assert.deepEqual(clientPeerInfo({}), DEFAULT_PEER_INFO);
  const sso = clientPeerInfo({ IV_SSO: 'webauth', IV_VER: '2.6.99' });
  assert.deepEqual(names(sso), [...names([...DEFAULT_PEER_INFO]), 'IV_SSO']);
  assert.equal(new Map(sso).get('IV_VER'), '2.6.99');
});

test('a UV_* variable makes the client a --push-peer-info client: IV_SSL and IV_PLAT_VER come with it', () => {
  const lines = new Map(clientPeerInfo({ UV_WANT_CC_FAIL: '1' }));
  assert.equal(lines.get('UV_WANT_CC_FAIL'), '1');
  assert.ok(lines.has('IV_SSL') && lines.has('IV_PLAT_VER'));
  assert.ok(!new Map(clientPeerInfo({ IV_SSO: 'x' })).has('IV_SSL'), 'not without UV_*');
});

test('a name that is not IV_* or UV_* is refused, saying to prefix UV_', () => {
  assert.throws(
    () => clientPeerInfo({ WANT_X: '1' }),
    /peer info WANT_X: a client sends only IV_\* and UV_\* names \(prefix UV_ for your own, e\.g\. UV_WANT_X/,
  );
});
