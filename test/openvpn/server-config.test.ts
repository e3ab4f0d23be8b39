// server.conf as OpenVPN reads it: quoting, comments, inline blocks, includes; what the host takes from it, and
// what it lists as not emulated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerConfig, ServerConfigError } from '../../src/openvpn/server-config.js';

const files: Record<string, string> = {
  'extra.conf': 'setenv FROM_INCLUDE 1\nplugin /usr/lib/two.so\n',
};
const read = (path: string, from: { file: string; line: number }) => {
  const text = files[path];
  if (text === undefined) throw new ServerConfigError(from.file, from.line, `${path}: no such file`);
  return { text, file: path };
};

test('plugin lines in order with their arguments as written; quoting, comments, inline blocks and includes', () => {
  const cfg = parseServerConfig(
    [
      '# a comment',
      'port 1194',
      'proto tcp',
      'dev tun',
      '; another comment',
      'plugin /usr/lib/multi-auth.so "MA_1 0 foo bar"   # trailing comment',
      '<ca>',
      '-----BEGIN CERTIFICATE-----',
      'plugin /not/a/plugin.so',
      '-----END CERTIFICATE-----',
      '</ca>',
      'config extra.conf',
      "plugin '/usr/lib/three.so' a b",
      'client-connect "/etc/openvpn/cc.sh arg"',
      'script-security 2',
    ].join('\n'),
    'server.conf',
    read,
  );
  assert.deepEqual(
    cfg.plugins.map((p) => [p.path, p.args, p.at]),
    [
      ['/usr/lib/multi-auth.so', ['MA_1 0 foo bar'], 'server.conf:6'],
      ['/usr/lib/two.so', [], 'extra.conf:2'],
      ['/usr/lib/three.so', ['a', 'b'], 'server.conf:13'],
    ],
  );
  assert.deepEqual(cfg.script, ['/etc/openvpn/cc.sh', 'arg'], 'the command is split into argv');
  assert.equal(cfg.server.proto, 'tcp-server');
  assert.equal(cfg.server.localPort, 1194);
  assert.deepEqual(cfg.server.setenv, [{ name: 'FROM_INCLUDE', value: '1', safe: false }]);
  assert.deepEqual(cfg.notEmulated, []);
  assert.equal(cfg.server.scriptSecurity, 2);
});

test('ifconfig + ifconfig-pool instead of server; server and ifconfig-pool together are refused, as OpenVPN does', () => {
  const cfg = parseServerConfig('topology subnet\nifconfig 10.70.0.1 255.255.255.0\nifconfig-pool 10.70.0.50 10.70.0.99 255.255.255.0\n', 's.conf', read);
  assert.equal(cfg.server.ifconfigLocal, '10.70.0.1');
  assert.equal(cfg.server.ifconfigNetmask, '255.255.255.0');
  assert.equal(cfg.server.poolStart, '10.70.0.50');
  assert.throws(
    () => parseServerConfig('server 10.8.0.0 255.255.255.0\nifconfig-pool 10.8.0.50 10.8.0.99\n', 's.conf', read),
    /s\.conf:2: ifconfig-pool: server already defines the pool/,
  );
});

test('push lines in order; auth-gen-token', () => {
  const cfg = parseServerConfig('push "route 10.0.0.0 255.0.0.0"\nauth-gen-token\npush "dhcp-option DNS 1.1.1.1"\n', 's.conf', read);
  assert.deepEqual(cfg.server.push, ['route 10.0.0.0 255.0.0.0', 'dhcp-option DNS 1.1.1.1']);
  assert.equal(cfg.server.authGenToken, true);
  assert.deepEqual(cfg.notEmulated, []);
});

test('server settings: server + topology, setenv(-safe), keying-material-exporter, hand-window, reneg-sec', () => {
  const cfg = parseServerConfig(
    'server 10.8.0.0 255.255.255.0\ntopology subnet\nsetenv-safe REGION eu\nkeying-material-exporter EXPORTER-x 16\nhand-window 30\nreneg-sec 40\n',
    's.conf',
    read,
  );
  assert.equal(cfg.server.ifconfigLocal, '10.8.0.1');
  assert.equal(cfg.server.ifconfigNetmask, '255.255.255.0');
  assert.equal(cfg.server.topology, 'subnet');
  assert.deepEqual(cfg.server.setenv, [{ name: 'REGION', value: 'eu', safe: true }]);
  assert.deepEqual(cfg.server.keyingMaterialExporter, { label: 'EXPORTER-x', length: 16 });
  assert.equal(cfg.handWindowS, 30);
  assert.equal(cfg.renegSec, 40);
  assert.equal(parseServerConfig('server 10.9.0.0 255.255.255.0\n', 's.conf', read).server.topology, 'net30', "2.6's default topology");
});

test('options the host does not emulate are listed once, with the first place; no-effect options are not', () => {
  const cfg = parseServerConfig(
    'ca ca.crt\nmanagement-client-auth\nauth-user-pass-verify /bin/check via-env\nmanagement-client-auth\nverb 3\n',
    's.conf',
    read,
  );
  assert.deepEqual(cfg.notEmulated, [
    { option: 'management-client-auth', at: 's.conf:2' },
    { option: 'auth-user-pass-verify', at: 's.conf:3' },
  ]);
});

test('unusable configs fail at file:line: a missing include, an unclosed inline block, a bad value', () => {
  assert.throws(() => parseServerConfig('verb 3\nconfig missing.conf\n', 's.conf', read), /^ServerConfigError: s\.conf:2: missing\.conf: no such file/);
  assert.throws(() => parseServerConfig('<key>\nabc\n', 's.conf', read), /s\.conf:1: <key> is not closed by <\/key>/);
  assert.throws(
    () => parseServerConfig('\nkeying-material-exporter lab 16\n', 's.conf', read),
    /s\.conf:2: keying-material-exporter: the label must begin with "EXPORTER"/,
  );
  assert.throws(() => parseServerConfig('hand-window soon\n', 's.conf', read), /s\.conf:1: hand-window: expected a whole number/);
  assert.throws(() => parseServerConfig('plugin\n', 's.conf', read), /s\.conf:1: plugin needs 1 argument/);
});

test("auth-user-pass-optional, username-as-common-name and duplicate-cn are taken (defaults are the file loader's)", () => {
  const cfg = parseServerConfig('client-connect /bin/true\nauth-user-pass-optional\nusername-as-common-name\nduplicate-cn\n', 's.conf', read);
  assert.equal(cfg.server.scriptSecurity, undefined, 'lines alone (--server-option) keep the host defaults');
  assert.equal(cfg.server.duplicateCn, true);
  assert.equal(cfg.server.authUserPassOptional, true);
  assert.equal(cfg.server.usernameAsCommonName, true);
});

test('an included file of 200 000 lines is read whole (no call-stack overflow)', () => {
  const big = `${'verb 3\n'.repeat(200_000)}plugin /usr/lib/last.so\n`;
  const cfg = parseServerConfig('config big.conf\n', 'server.conf', () => ({ text: big, file: 'big.conf' }));
  assert.deepEqual(
    cfg.plugins.map((p) => [p.path, p.at]),
    [['/usr/lib/last.so', 'big.conf:200001']],
  );
});
