// Running plugins as a server.conf written the way the OpenVPN man page and Debian's examples write them configures
// them: plugin lines (a quoted single argument split as OpenVPN splits it), proto, server, setenv, keying material.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openHost, ServerConfigError } from '../../src/index.js';
import { CLI, ROOT, fixture } from '../helpers.js';

const exec = promisify(execFile);

function configDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ovph-server-conf-'));
  for (const f of ['auth-defer', 'cc-v2-defer', 'parity-ctx-recorder']) copyFileSync(fixture(f), join(dir, `${f}.so`));
  writeFileSync(
    join(dir, 'server.conf'),
    `# OpenVPN server config, as the man page writes them
port 1194
proto tcp
dev tun
ca ca.crt
cert server.crt
key server.key  # keep it secret
topology subnet
server 10.8.0.0 255.255.255.0
push "route 192.168.10.0 255.255.255.0"
management-client-auth
client-config-dir ccd
keepalive 10 120
setenv DEPLOYMENT "lab one"
setenv-safe REGION eu
keying-material-exporter EXPORTER-lab 16
hand-window 30
plugin ./auth-defer.so "delay_ms=50 user=alice pass=secret"
plugin cc-v2-defer.so polls=2
plugin parity-ctx-recorder.so "out=${join(dir, 'rec.txt')} tag=proto_1,exported_keying_material,DEPLOYMENT,OPENVPN_REGION"
<tls-auth>
-----BEGIN OpenVPN Static key V1-----
-----END OpenVPN Static key V1-----
</tls-auth>
verb 3
`,
  );
  return dir;
}

test('openHost({ config }): the plugins, the server settings and the auth window come from server.conf', async () => {
  const dir = configDir();
  try {
    const host = await openHost({ config: join(dir, 'server.conf'), plugins: [] });
    try {
      assert.deepEqual(
        host.plugins.map((p) => p.args),
        [
          ['delay_ms=50', 'user=alice', 'pass=secret'],
          ['polls=2'],
          [`out=${join(dir, 'rec.txt')}`, 'tag=proto_1,exported_keying_material,DEPLOYMENT,OPENVPN_REGION'],
        ],
      );
      assert.deepEqual(host.configNotes, [
        `${join(dir, 'server.conf')}: not emulated, no effect here: management-client-auth (${join(dir, 'server.conf')}:11)`,
      ]);
      const r = await host.client({ username: 'alice', password: 'secret' }).connect();
      assert.equal(r.outcome, 'connected', JSON.stringify(r));
      if (r.outcome === 'connected') {
        assert.equal(r.auth.deferred, true);
        assert.deepEqual(r.pushReply, ['route 192.168.10.0 255.255.255.0', 'route 10.9.0.0 255.255.0.0'], "the server's push, then the client's");
      }
    } finally {
      await host.close();
    }
    const rec = readFileSync(join(dir, 'rec.txt'), 'utf8').split('\n');
    const tags = (hook: string) => rec.find((l) => l.startsWith(`${hook}\t`))!.split('\t')[5]!;
    assert.match(tags('OPEN'), /proto_1=tcp-server;DEPLOYMENT=lab one;OPENVPN_REGION=eu/);
    assert.match(tags('TLS_FINAL'), /exported_keying_material=[0-9a-f]{32};/);
    assert.doesNotMatch(tags('CLIENT_CONNECT_V2'), /exported_keying_material/, 'only TLS_FINAL has it');
    assert.ok(
      rec.some((l) => l.startsWith('LEARN_ADDRESS\t4\tadd,10.8.0.9,')),
      'ifconfig-push from cc-v2-defer',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('connect --config: runs it, lists what is not emulated on stderr; an unusable config is exit 2 with file:line', async () => {
  const dir = configDir();
  try {
    const ok = await exec(process.execPath, [CLI, 'connect', '--config', join(dir, 'server.conf'), '--username', 'alice', '--password', 'secret'], {
      cwd: ROOT,
    });
    assert.match(ok.stdout, /^CONNECTED as 10\.8\.0\.9/);
    assert.match(ok.stderr, /warning: .*server\.conf: not emulated, no effect here: management-client-auth \(/);
    writeFileSync(join(dir, 'bad.conf'), 'proto udp\nplugin ./missing.so\n');
    const bad = await exec(process.execPath, [CLI, 'connect', '--config', join(dir, 'bad.conf')], { cwd: ROOT }).then(
      () => assert.fail('exit 0'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /bad\.conf:2: plugin \.\/missing\.so: no such file/);
    await assert.rejects(openHost({ config: join(dir, 'bad.conf'), plugins: [] }), ServerConfigError, 'the library throws the same error');
    writeFileSync(
      join(dir, 'lab.yaml'),
      'config: ./server.conf\nclients:\n  - { name: alice, username: alice, password: secret, expect: { outcome: connected } }\n',
    );
    const run = await exec(process.execPath, [CLI, 'run', join(dir, 'lab.yaml')], { cwd: ROOT });
    assert.match(run.stdout, /PASS 1 expectation held/);
    assert.match(run.stderr, /warning: .*not emulated, no effect here: management-client-auth/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serverOptions / --server-option: server config lines one by one, after the config file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ovph-server-opt-'));
  try {
    const rec = join(dir, 'rec.txt');
    const host = await openHost({
      plugins: [{ path: fixture('parity-ctx-recorder'), args: [`out=${rec}`, 'tag=proto_1,OPENVPN_REGION,ifconfig_pool_remote_ip'] }],
      serverOptions: ['proto tcp', 'setenv-safe REGION eu', 'server 10.66.0.0 255.255.255.0', 'topology subnet', 'management-client-auth'],
    });
    try {
      assert.deepEqual(host.configNotes, ['--server-option: not emulated, no effect here: management-client-auth (--server-option:5)']);
      const r = await host.client({ username: 'u', password: 'p' }).connect();
      assert.equal(r.outcome, 'connected', JSON.stringify(r));
      if (r.outcome === 'connected') assert.equal(r.address, '10.66.0.2');
    } finally {
      await host.close();
    }
    const open = readFileSync(rec, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('OPEN\t'))!;
    assert.match(open, /proto_1=tcp-server;OPENVPN_REGION=eu/);
    const bad = await exec(process.execPath, [CLI, 'connect', fixture('cc-v2-defer'), '--server-option', 'topology ring'], { cwd: ROOT }).then(
      () => assert.fail('exit 0'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^ovpn-plugin-host: --server-option:1: topology: subnet, net30 or p2p, got ring\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without duplicate-cn a client reaching client-connect ends the connected client with its common name; with it, not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ovph-dup-cn-'));
  try {
    copyFileSync(fixture('learn-address'), join(dir, 'learn-address.so'));
    for (const [file, extra] of [
      ['single.conf', ''],
      ['shared.conf', 'duplicate-cn\n'],
    ] as const) {
      writeFileSync(join(dir, file), `server 10.8.0.0 255.255.255.0\ntopology subnet\nplugin learn-address.so\n${extra}`);
    }
    const run = async (file: string) => {
      const host = await openHost({ config: join(dir, file), plugins: [] });
      try {
        const a = host.client({ name: 'first' });
        assert.equal((await a.connect()).outcome, 'connected');
        const b = host.client({ name: 'second' });
        assert.equal((await b.connect()).outcome, 'connected');
        return { a: await a.disconnect(), b: await b.disconnect() };
      } finally {
        await host.close();
      }
    };
    const single = await run('single.conf');
    assert.equal(single.a.outcome, 'disconnected');
    if (single.a.outcome === 'disconnected') {
      assert.match(single.a.endedBy ?? '', /second connected with the same common name 'Test-Client' \(no duplicate-cn\)/);
      assert.deepEqual(
        single.a.hooks.map((h) => h.hook),
        ['CLIENT_DISCONNECT', 'LEARN_ADDRESS'],
      );
    }
    if (single.b.outcome === 'disconnected') assert.equal(single.b.endedBy, undefined);
    const shared = await run('shared.conf');
    if (shared.a.outcome === 'disconnected') assert.equal(shared.a.endedBy, undefined, 'duplicate-cn: both stay');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
