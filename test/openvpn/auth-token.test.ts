// auth-gen-token: its arguments as a server config gives them, and the state of a token by its age (as measured on a
// real 2.6.14 server with reneg-sec 8: Authenticated at +8 s, Expired at +16 s).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenState, tokenText } from '../../src/openvpn/auth-token.js';
import { parseServerConfig, ServerConfigError } from '../../src/openvpn/server-config.js';

const read = () => {
  throw new Error('no includes here');
};

test('auth-gen-token [lifetime] [renewal-time] [external-auth]', () => {
  const settings = (line: string) => parseServerConfig(`${line}\n`, 's.conf', read).server.authGenTokenSettings;
  assert.deepEqual(settings('auth-gen-token'), { lifetimeS: 0, externalAuth: false });
  assert.deepEqual(settings('auth-gen-token 3600'), { lifetimeS: 3600, externalAuth: false });
  assert.deepEqual(settings('auth-gen-token 0 120'), { lifetimeS: 0, renewalS: 120, externalAuth: false });
  assert.deepEqual(settings('auth-gen-token 0 external-auth'), { lifetimeS: 0, externalAuth: true });
  assert.deepEqual(settings('auth-gen-token external-auth'), { lifetimeS: 0, externalAuth: true });
  assert.throws(() => settings('auth-gen-token soon'), ServerConfigError);
  assert.equal(parseServerConfig('reneg-sec 8\n', 's.conf', read).server.renegSec, 8);
});

test('a token is valid until twice the renewal time (default reneg-sec) or its lifetime, in whole seconds', () => {
  const plain = { lifetimeS: 0, externalAuth: false };
  assert.equal(tokenState(plain, 8.1, 8), 'Authenticated');
  assert.equal(tokenState(plain, 15.9, 8), 'Authenticated');
  assert.equal(tokenState(plain, 16.07, 8), 'Expired', 'measured: the 2nd renegotiation at +16.07 s');
  assert.equal(tokenState(plain, 7000, undefined), 'Authenticated', 'reneg-sec defaults to 3600');
  assert.equal(tokenState({ ...plain, renewalS: 2 }, 4, 8), 'Expired', 'the renewal time wins over reneg-sec');
  assert.equal(tokenState({ ...plain, lifetimeS: 5 }, 5.2, 3600), 'Expired');
});

test('the token text: SESS_ID_AT_<session_id> then base64 of two timestamps and an HMAC', () => {
  const t = tokenText('FtHEMF0d0GckVLWE', 1796327631);
  assert.match(t, /^SESS_ID_AT_FtHEMF0d0GckVLWE[A-Za-z0-9+/]{64}$/);
  assert.equal(Buffer.from(t.slice('SESS_ID_AT_FtHEMF0d0GckVLWE'.length), 'base64').readBigUInt64BE(0), 1796327631n);
});
