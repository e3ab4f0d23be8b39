// A plugin's arguments as OpenVPN makes them: one argument is split like a config line, two or more are kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pluginArguments } from '../../src/openvpn/plugin-args.js';

test('exactly one argument is split again with the config-line rules (quotes, escapes)', () => {
  assert.deepEqual(pluginArguments(['MA_1 0 foo bar']), ['MA_1', '0', 'foo', 'bar']);
  assert.deepEqual(pluginArguments(['-i edb-sqlite.so -- db']), ['-i', 'edb-sqlite.so', '--', 'db']);
  assert.deepEqual(pluginArguments(['login login USERNAME password PASSWORD']), ['login', 'login', 'USERNAME', 'password', 'PASSWORD']);
  assert.deepEqual(pluginArguments(['a "b c" \'d e\' f\\ g']), ['a', 'b c', 'd e', 'f g']);
  assert.deepEqual(pluginArguments(['single']), ['single']);
});

test('no argument, or two and more, are passed as given', () => {
  assert.deepEqual(pluginArguments([]), []);
  assert.deepEqual(pluginArguments(['a b', 'c d']), ['a b', 'c d']);
});
