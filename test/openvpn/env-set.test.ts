// Tests for the env_set model: newest-first order, move-to-front, inheritance reversal, sanitising, setenv_str_incr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvSet, replaceNonPrintable, sanitizeEnvName, sanitizeEnvValue } from '../../src/openvpn/env-set.js';

test('set() puts the newest variable first and re-setting moves it to the front', () => {
  const env = new EnvSet();
  env.set('aa', '1').set('bb', '2').set('cc', '3');
  assert.deepEqual(env.keys(), ['cc', 'bb', 'aa']);
  env.set('aa', 'new');
  assert.deepEqual(env.toEnvp(), ['aa=new', 'cc=3', 'bb=2']);
  assert.equal(env.size, 3);
});

test('inherit() reverses the order (env_set_inherit), so two inheritances restore it', () => {
  const top = new EnvSet();
  for (const name of ['config', 'verb', 'daemon']) top.set(name, name.length);
  assert.deepEqual(top.keys(), ['daemon', 'verb', 'config']);
  const instance = EnvSet.inherit(top);
  assert.deepEqual(instance.keys(), ['config', 'verb', 'daemon']);
  instance.set('dev', 'tun0');
  assert.deepEqual(EnvSet.inherit(instance).keys(), ['daemon', 'verb', 'config', 'dev']);
  assert.deepEqual(top.keys(), ['daemon', 'verb', 'config'], 'the source is untouched');
});

test('clone() keeps the order and is independent', () => {
  const env = new EnvSet([
    ['x1', 'a'],
    ['y1', 'b'],
  ]);
  const copy = env.clone();
  copy.set('z1', 'c');
  copy.unset('x1');
  assert.deepEqual(env.toEnvp(), ['x1=a', 'y1=b']);
  assert.deepEqual(copy.toEnvp(), ['z1=c', 'y1=b']);
});

test('set() sanitises like setenv_str; setRaw() passes user values through unchanged', () => {
  assert.equal(sanitizeEnvName('my-var.name 1'), 'myvarname1');
  assert.equal(sanitizeEnvValue('a\tb\nc\x7fd é'), 'abcd é');
  assert.equal(replaceNonPrintable('a\r\nb'), 'a__b');
  const env = new EnvSet();
  env.set('my-var', 'line1\nline2');
  assert.equal(env.get('myvar'), 'line1line2');
  assert.equal(env.has('my-var'), false);
  env.setRaw('weird.name', 'tab\there');
  assert.equal(env.get('weird.name'), 'tab\there');
  assert.deepEqual(env.keys(), ['weird.name', 'myvar']);
  assert.throws(() => env.setRaw('a=b', 'x'), TypeError);
  assert.throws(() => env.set('x', 'too short name'), RangeError);
});

test('set() with null/undefined deletes (setenv_str with a NULL value)', () => {
  const env = new EnvSet().set('aa', '1').set('bb', 2);
  env.set('aa', undefined);
  assert.deepEqual(env.keys(), ['bb']);
  assert.equal(env.get('bb'), '2');
  assert.equal(env.unset('nope'), false);
});

test('setIncr() follows setenv_str_incr: name, name_1, name_2, ...', () => {
  const env = new EnvSet();
  assert.equal(env.setIncr('X509_0_OU', 'one'), 'X509_0_OU');
  assert.equal(env.setIncr('X509_0_OU', 'two'), 'X509_0_OU_1');
  assert.equal(env.setIncr('X509_0_OU', 'three'), 'X509_0_OU_2');
  assert.deepEqual(env.toEnvp(), ['X509_0_OU_2=three', 'X509_0_OU_1=two', 'X509_0_OU=one']);
});

test('fromEnvp() round-trips and unsetWhere() removes by name', () => {
  const envp = ['X509_0_CN=a', 'tls_id_0=C=KG, CN=a', 'X509_1_O=b', 'empty='];
  const env = EnvSet.fromEnvp(envp);
  assert.deepEqual(env.toEnvp(), envp);
  assert.equal(env.get('tls_id_0'), 'C=KG, CN=a');
  assert.equal(
    env.unsetWhere((n) => n.startsWith('X509_')),
    2,
  );
  assert.deepEqual(env.keys(), ['tls_id_0', 'empty']);
  assert.deepEqual(
    [...env],
    [
      ['tls_id_0', 'C=KG, CN=a'],
      ['empty', ''],
    ],
  );
});

test('override(): an existing variable keeps its place, a new one goes to the front; values unchanged', () => {
  const env = new EnvSet([
    ['a', '1'],
    ['b', '2'],
    ['c', '3'],
  ]);
  env.override('b', 'x y\t$z').override('new', 'n');
  assert.deepEqual(env.toEnvp(), ['new=n', 'a=1', 'b=x y\t$z', 'c=3']);
});
