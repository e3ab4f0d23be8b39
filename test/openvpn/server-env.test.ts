// Tests the simulated 2.6.14 server env against the real capture (../shared/real-openvpn/real-env-dump.txt) and the step functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HookName } from '../../src/openvpn/constants.js';
import { EnvSet } from '../../src/openvpn/env-set.js';
import {
  afterClientConnectV1,
  authEnv,
  clearX509Env,
  clientConnectEnv,
  envAtInitPoint,
  envForHook,
  firstClientLife,
  ipchangeArgument,
  newClientEnv,
  peerInfoEnv,
  serverOpenEnv,
  serverUpEnv,
  setPeerEnv,
  timeAscii,
} from '../../src/openvpn/server-env.js';

// A copy of ../shared/real-openvpn/real-env-dump.txt (a real OpenVPN 2.6.14 capture) kept in the repo so a clone tests alone.
const DUMP_PATH = fileURLToPath(new URL('../data/real-env-dump-2.6.14.txt', import.meta.url));

interface DumpRecord {
  seq: number;
  entry: string;
  hook?: HookName;
  pcc?: number;
  certDepth?: number;
  argv: string[];
  env: Array<[string, string]>;
}

/** Parse the capture: "#<seq> <time> pid=<pid> <ENTRY> ..." headers, then argv[i]= / envp[i]= lines. */
function readDump(): DumpRecord[] {
  if (!existsSync(DUMP_PATH)) {
    assert.fail(`the real OpenVPN capture is missing: ${DUMP_PATH} (copy ../shared/real-openvpn/real-env-dump.txt there)`);
  }
  const records: DumpRecord[] = [];
  let cur: DumpRecord | undefined;
  for (const line of readFileSync(DUMP_PATH, 'utf8').split('\n')) {
    const head = /^#(\d+) \S+ pid=\d+ (\S+)(.*)$/.exec(line);
    if (head) {
      const rest = head[3]!;
      cur = { seq: Number(head[1]), entry: head[2]!, argv: [], env: [] };
      const hook = / OPENVPN_PLUGIN_(\w+) /.exec(rest);
      if (hook) cur.hook = hook[1] as HookName;
      const pcc = / pcc=#(\d+)/.exec(rest);
      if (pcc) cur.pcc = Number(pcc[1]);
      const depth = / current_cert_depth=(-?\d+)/.exec(rest);
      if (depth) cur.certDepth = Number(depth[1]);
      records.push(cur);
      continue;
    }
    if (!cur) continue;
    const argv = /^ {2}argv\[(\d+)\]=(.*)$/.exec(line);
    if (argv) cur.argv[Number(argv[1])] = argv[2]!;
    const envp = /^ {2}envp\[(\d+)\]=(.*)$/.exec(line);
    if (envp) {
      const s = envp[2]!;
      const eq = s.indexOf('=');
      cur.env[Number(envp[1])] = [s.slice(0, eq), s.slice(eq + 1)];
    }
  }
  return records;
}

/** Values that differ from run to run (or from PKI to PKI); their keys and order are still compared. */
const RUN_SPECIFIC = new Set([
  'config',
  'daemon_start_time',
  'daemon_pid',
  'time_unix',
  'time_ascii',
  'auth_control_file',
  'auth_pending_file',
  'auth_failed_reason_file',
  'client_connect_config_file',
  'client_connect_deferred_file',
  'bytes_received',
  'bytes_sent',
  'time_duration',
  'tls_serial_1',
  'tls_serial_hex_1',
  'tls_digest_0',
  'tls_digest_1',
  'tls_digest_sha256_0',
  'tls_digest_sha256_1',
]);

const TEMP_FILE_VARS: Record<string, string> = {
  auth_control_file: 'acf',
  auth_pending_file: 'apf',
  auth_failed_reason_file: 'afr',
  client_connect_config_file: 'cc',
  client_connect_deferred_file: 'ccr',
};

test('the capture is there and has the expected records', () => {
  const records = readDump();
  const funcs = records.filter((r) => r.entry === 'FUNC');
  assert.equal(funcs.length, 14);
  assert.equal(records.filter((r) => r.entry === 'OPEN').length, 1);
});

test('serverOpenEnv reproduces the OPEN record: the same 10 vars in the same order', () => {
  const open = readDump().find((r) => r.entry === 'OPEN')!;
  const env = serverOpenEnv({ daemonPid: 23850, daemonStartTime: 1795927937 });
  assert.deepEqual(
    env.keys(),
    open.env.map(([k]) => k),
  );
  for (const [k, v] of open.env) if (!RUN_SPECIFIC.has(k)) assert.equal(env.get(k), v, k);
  assert.equal(env.get('daemon_pid'), '23850');
  assert.equal(env.get('config'), '/etc/openvpn/server/server.conf');
  assert.deepEqual(envAtInitPoint(2).keys(), env.keys());
  assert.equal(envAtInitPoint(1).size, 0);
  assert.equal(envAtInitPoint(3).keys()[0], 'redirect_gateway');
});

test('firstClientLife makes the same hook calls, in the same order, as the real server', () => {
  const dumpOrder = readDump()
    .filter((r) => r.entry === 'FUNC')
    .map((r) => `${r.hook}:${r.certDepth}:${r.argv[1] ?? ''}`);
  const ours = firstClientLife().map((c) => `${c.hook}:${c.certDepth}:${c.hook === 'CLIENT_CONNECT' ? '' : (c.argv[0] ?? '')}`);
  const dumpNormalised = dumpOrder.map((s) => (s.startsWith('CLIENT_CONNECT:') ? 'CLIENT_CONNECT:-1:' : s));
  assert.deepEqual(ours, dumpNormalised);
});

for (const record of readDumpSafe().filter((r) => r.entry === 'FUNC')) {
  const label = `${record.hook}${record.hook === 'TLS_VERIFY' ? ` depth ${record.certDepth}` : ''}${record.hook === 'LEARN_ADDRESS' ? ` ${record.argv[1]}` : ''}`;
  test(`envForHook(${label}) matches capture #${record.seq}: keys in order, values, argv`, () => {
    const hook = record.hook!;
    const call = envForHook(hook, {
      certDepth: record.certDepth! >= 0 ? record.certDepth : undefined,
      learnAddressOp: hook === 'LEARN_ADDRESS' ? (record.argv[1] as 'add' | 'delete') : undefined,
    });
    const keys = call.env.keys();
    assert.deepEqual(
      keys,
      record.env.map(([k]) => k),
      'env keys and order',
    );
    for (const [k, v] of record.env) {
      if (!RUN_SPECIFIC.has(k)) assert.equal(call.env.get(k), v, `value of ${k}`);
      const prefix = TEMP_FILE_VARS[k];
      if (prefix) assert.match(call.env.get(k)!, new RegExp(`^/tmp/openvpn_${prefix}_[0-9a-f]{32}\\.tmp$`), `shape of ${k}`);
    }
    // argv after argv[0]: same count, same values except the per-run cc file name.
    const dumpArgv = record.argv.slice(1);
    assert.equal(call.argv.length, dumpArgv.length, 'argv count');
    if (hook === 'CLIENT_CONNECT') {
      assert.match(call.argv[0]!, /^\/tmp\/openvpn_cc_[0-9a-f]{32}\.tmp$/);
      assert.equal(call.argv[0], call.env.get('client_connect_config_file'));
    } else {
      assert.deepEqual(call.argv, dumpArgv, 'argv');
    }
    assert.equal(call.certDepth, record.certDepth, 'current_cert_depth');
    assert.equal(call.context, record.pcc === 1 ? 'server' : 'client', 'per-client context');
    if (hook === 'TLS_VERIFY') assert.ok(call.cert && call.cert.der.length > 0);
  });
}

/** Like readDump, but never throws at module load (the per-record tests would vanish): the first test fails instead. */
function readDumpSafe(): DumpRecord[] {
  try {
    return readDump();
  } catch {
    return [];
  }
}

test('with the capture run-specific inputs given, every value matches except the PKI-specific digests', () => {
  const records = readDump().filter((r) => r.entry === 'FUNC');
  const envOf = (hook: string) => Object.fromEntries(records.find((r) => r.hook === hook)!.env);
  const cc = envOf('CLIENT_CONNECT');
  const disc = envOf('CLIENT_DISCONNECT');
  const params = {
    configPath: cc.config,
    daemonPid: Number(cc.daemon_pid),
    daemonStartTime: Number(cc.daemon_start_time),
    timeUnix: Number(cc.time_unix),
    authControlFile: cc.auth_control_file,
    authPendingFile: cc.auth_pending_file,
    authFailedReasonFile: cc.auth_failed_reason_file,
    clientConnectConfigFile: cc.client_connect_config_file,
    clientConnectDeferredFile: cc.client_connect_deferred_file,
    bytesReceived: Number(disc.bytes_received),
    bytesSent: Number(disc.bytes_sent),
    durationSeconds: Number(disc.time_duration),
  };
  const pkiSpecific = new Set(['tls_serial_1', 'tls_serial_hex_1', 'tls_digest_0', 'tls_digest_1', 'tls_digest_sha256_0', 'tls_digest_sha256_1']);
  const ours = firstClientLife(params);
  assert.equal(ours.length, records.length);
  ours.forEach((call, i) => {
    const rec = records[i]!;
    for (const [k, v] of rec.env) {
      if (pkiSpecific.has(k)) continue;
      if (k === 'time_ascii')
        assert.equal(call.env.get(k), timeAscii(params.timeUnix)); // local time zone of the run
      else assert.equal(call.env.get(k), v, `#${rec.seq} ${rec.hook} ${k}`);
    }
    assert.deepEqual(call.argv, rec.argv.slice(1), `#${rec.seq} argv`);
  });
});

test('envForHook: DEFER variants, CRRESPONSE, ENABLE_PF, overrides and bad depth', () => {
  const cc = envForHook('CLIENT_CONNECT_DEFER', { clientConnectConfigFile: '/tmp/x/cc', clientConnectDeferredFile: '/tmp/x/ccr' });
  assert.equal(cc.hook, 'CLIENT_CONNECT_DEFER');
  assert.deepEqual(cc.argv, ['/tmp/x/cc']);
  assert.equal(cc.env.keys()[0], 'client_connect_deferred_file');
  const v2 = envForHook('CLIENT_CONNECT_DEFER_V2');
  assert.equal(v2.env.has('client_connect_config_file'), false);
  const cr = envForHook('CLIENT_CRRESPONSE', { crresponse: 'abc' });
  assert.deepEqual(cr.env.toEnvp()[0], 'crresponse=abc');
  assert.equal(cr.env.has('trusted_ip'), false, 'CR_RESPONSE arrives before the connection is established');
  assert.equal(cr.env.has('password'), false);
  const pf = envForHook('ENABLE_PF');
  assert.ok(pf.note);
  assert.equal(pf.env.keys()[0], 'redirect_gateway');
  const plain = envForHook('CLIENT_CONNECT_V2');
  const over = envForHook('CLIENT_CONNECT_V2', { envOverrides: { common_name: 'demo client\t', username: null, NEW_VAR: 'n' } });
  assert.equal(over.env.get('common_name'), 'demo client\t', 'user values pass through unchanged');
  assert.equal(
    over.env.keys().indexOf('common_name') - 1,
    plain.env
      .keys()
      .filter((k) => k !== 'username')
      .indexOf('common_name'),
    'an overridden variable keeps its place (shifted only by the new one at the front)',
  );
  assert.deepEqual(over.env.entries()[0], ['NEW_VAR', 'n'], 'a new variable goes to the front');
  assert.equal(over.env.has('username'), false);
  assert.throws(() => envForHook('TLS_VERIFY', { certDepth: 5 }), RangeError);
});

test('registered hooks change the env: no AUTH plugin means no username/password/auth files; no v1 means no cc files', () => {
  const hooks: HookName[] = ['TLS_VERIFY', 'CLIENT_CONNECT_V2', 'LEARN_ADDRESS'];
  const life = firstClientLife({ registeredHooks: hooks });
  assert.deepEqual(
    life.map((c) => c.hook),
    ['TLS_VERIFY', 'TLS_VERIFY', 'CLIENT_CONNECT_V2', 'LEARN_ADDRESS', 'LEARN_ADDRESS'],
  );
  const v2 = life[2]!.env;
  assert.equal(v2.has('username'), false);
  assert.equal(v2.has('auth_control_file'), false);
  assert.equal(v2.has('IV_VER'), true, 'peer info is exported whether or not auth is enabled');
  // Without a v1 handler the pool vars are not re-set before V2: time_unix is newest; after V2 they move up again.
  assert.deepEqual(v2.keys().slice(0, 4), ['time_unix', 'time_ascii', 'ifconfig_pool_netmask', 'ifconfig_pool_remote_ip']);
  assert.deepEqual(life[3]!.env.keys().slice(0, 2), ['ifconfig_pool_netmask', 'ifconfig_pool_remote_ip']);
});

test('net30 topology uses ifconfig_remote and ifconfig_pool_local_ip; setenv lines come before the settings', () => {
  const up = envForHook('UP', {
    topology: 'net30',
    setenv: [['FOO', 'bar baz'], { name: 'SAFE', value: 'x', safe: true }, ['PUSH_PEER_INFO', undefined as unknown as string]],
  });
  assert.deepEqual(up.argv, ['tun0', '1500', '0', '10.29.41.1', '10.29.41.2', 'init']);
  assert.equal(up.env.get('ifconfig_remote'), '10.29.41.2');
  assert.equal(up.env.has('ifconfig_netmask'), false);
  const open = serverOpenEnv({ setenv: [['FOO', 'bar baz'], { name: 'SAFE', value: 'x', safe: true }] });
  assert.deepEqual(open.keys().slice(0, 3), ['FOO', 'OPENVPN_SAFE', 'config']);
  const cc = envForHook('CLIENT_CONNECT_V2', { topology: 'net30' });
  assert.equal(cc.env.get('ifconfig_pool_local_ip'), '10.29.41.5');
  assert.equal(cc.env.has('ifconfig_pool_netmask'), false);
});

test('peer info is validated like validate_peer_info_line', () => {
  const env = new EnvSet();
  const rejected = peerInfoEnv(env, 'IV_VER=2.6.14\nIV_GUI_VER=My GUI $(x)`\nBAD-NAME=1\nOTHER=1\nUV_X=é\r\n');
  assert.deepEqual(env.toEnvp(), ['UV_X=__', 'IV_GUI_VER=My_GUI___x)_', 'IV_VER=2.6.14']);
  assert.deepEqual(rejected, ['BAD-NAME=1', 'OTHER=1']);
});

test('IPv6 and v4-mapped peers; ipchange argument; v1 handler without a config file', () => {
  const env = new EnvSet();
  setPeerEnv(env, 'untrusted', { ip: '2001:db8::1', port: 1194 });
  setPeerEnv(env, 'trusted', { ip: '::ffff:10.0.0.1', port: 0 });
  assert.deepEqual(env.toEnvp(), ['trusted_ip=10.0.0.1', 'untrusted_port=1194', 'untrusted_ip6=2001:db8::1']);
  assert.equal(ipchangeArgument({ ip: '2001:db8::1', port: 5 }), '[AF_INET6]2001:db8::1 5');

  const client = newClientEnv(serverUpEnv());
  authEnv(client, { username: 'u\nx', password: 'p', untrusted: { ip: '127.0.0.1', port: 1 }, commonName: 'cn' });
  assert.equal(client.get('username'), 'u_x');
  clientConnectEnv(client, { trusted: { ip: '127.0.0.1', port: 1 }, pool: { remoteIp: '10.0.0.2', netmask: '255.0.0.0' }, timeUnix: 0 });
  afterClientConnectV1(client, { configFileExists: false });
  assert.equal(client.keys()[0], 'time_unix', 'no re-select when the plugin removed the config file');
  assert.equal(client.has('client_connect_config_file'), false);
  client.set('X509_0_CN', 'x');
  clearX509Env(client);
  assert.equal(
    client.keys().some((k) => k.startsWith('X509_')),
    false,
  );
});
