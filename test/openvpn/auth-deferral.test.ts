// The deferred-auth rules: auth_pending_file parsing, auth_control_file verdicts, the expiry window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authExpiryMs, authFailedMessage, controlFileVerdict, parsePendingFile } from '../../src/openvpn/auth-deferral.js';

test('auth_pending_file: empty is nothing to do; fewer than 3 lines, a bad timeout or an unannounced method fail', () => {
  assert.deepEqual(parsePendingFile('', 'webauth'), { kind: 'empty' });
  assert.deepEqual(parsePendingFile('30\nwebauth\nOPEN_URL:x\nmore\n', 'openurl,webauth'), {
    kind: 'pending',
    timeout: 30,
    method: 'webauth',
    extra: 'OPEN_URL:x',
  });
  assert.equal(parsePendingFile('30\nwebauth\n', 'webauth').kind, 'invalid');
  assert.equal(parsePendingFile('0\nwebauth\nx\n', 'webauth').kind, 'invalid');
  const r = parsePendingFile('30\nwebauth\nx\n', undefined);
  assert.equal(r.kind === 'invalid' && r.clientReason, "Authentication failed, required pending auth method 'webauth' not supported");
});

test('the expiry: the window without a pending file; with one, its timeout capped by max(hand-window, reneg-sec / 2)', () => {
  assert.equal(authExpiryMs(4000), 4000);
  assert.equal(authExpiryMs(4000, { timeout: 60, capMs: 1_800_000 }), 60_000, 'outlives hand-window');
  assert.equal(authExpiryMs(4000, { timeout: 60, capMs: 10_000 }), 10_000, 'capped');
});

test("auth_control_file: only '1' and '0' decide", () => {
  assert.equal(controlFileVerdict({ kind: 'byte', byte: '1' }), 'accepted');
  assert.equal(controlFileVerdict({ kind: 'byte', byte: '0' }), 'rejected');
  assert.equal(controlFileVerdict({ kind: 'byte', byte: '2' }), 'pending');
  assert.equal(authFailedMessage(undefined), 'AUTH_FAILED');
  assert.equal(authFailedMessage('go away'), 'AUTH_FAILED,go away');
});
