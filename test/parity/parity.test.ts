// Differential test against a REAL OpenVPN 2.6 server: every case of test/parity/cases.ts runs the same plugin chain
// (+ the recorder fixture, chained last) and the same client(s) through the real server (private network namespace,
// real clients on 127.0.0.1; UDP or TCP; optionally a --client-connect script) and through ovpn-plugin-host, then
// compares outcome, pushed config, hook order and the env keys of every hook (several clients: client by client, see
// test/parity/multi.ts). Known deliberate differences: test/parity/differences.ts. Needs root, /dev/net/tun,
// `unshare --net` and the Debian openvpn 2.6 package; anywhere else the suite is SKIPPED with the reason.
// Run alone: make parity (or node --import tsx test/parity/cli.ts [case-name ...] for a report per case).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CASES } from './cases.js';
import { compareRuns, hunks, lineDiff, pluginPushed } from './compare.js';
import { atomicUnits, attribute, brokenUnits } from './multi.js';
import { DELIBERATE, normalize } from './differences.js';
import type { HostRun } from './host-side.js';
import { openvpnVersion, parseClientLog, realServerUnavailable, restoreEchoes, type RealRun } from './real-server.js';
import { describe, parseRecorder } from './recorder.js';
import { report, runCase } from './run.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'build', 'fixtures');
/** Cases at a time: each real run is mostly waiting (OpenVPN's timers), so more than the 2 cores. */
const JOBS = Number(process.env.PARITY_JOBS ?? 5);

async function whyNot(): Promise<string | null> {
  const why = await realServerUnavailable();
  if (why) return why;
  const version = await openvpnVersion();
  if (!/^OpenVPN 2\.6\./.test(version)) return `the installed OpenVPN is "${version}"; the host emulates 2.6 (install Debian's openvpn 2.6)`;
  return null;
}

const skipReason = await whyNot();

test('parity with a real OpenVPN 2.6 server', { concurrency: JOBS, timeout: 15 * 60_000 }, async (t) => {
  // Deliberate: the real server needs root, /dev/net/tun, `unshare --net`, openvpn 2.6 and the sample keys. CI runs
  // `make test` as root with openvpn installed (system-deps), so the suite runs there; elsewhere it is skipped with
  // the one reason it cannot run (whyNot above), never silently.
  if (skipReason) {
    t.skip(`SKIPPED: ${skipReason}`);
    return;
  }
  const missing = [...new Set(CASES.flatMap((c) => [...c.chain.map((p) => p.fixture), c.recorder?.fixture ?? 'recorder']))].filter(
    (f) => !existsSync(join(FIXTURES, `${f}.so`)),
  );
  assert.deepEqual(missing, [], `fixtures not built (run 'make build'): ${missing.join(', ')}`);
  // Everything of ours (run dirs, and the library's own ovpn-plugin-host-* temp dirs, in this process and its workers)
  // goes into a private TMPDIR: other test files, running at the same time, check the system temp dir for leftovers.
  const ownTmp = mkdtempSync(join(tmpdir(), 'ovpn-parity-'));
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = ownTmp;
  t.after(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    for (const n of readdirSync(ownTmp)) if (n.startsWith('tsx-')) rmSync(join(ownTmp, n), { recursive: true, force: true }); // tsx's cache
    if (readdirSync(ownTmp).length === 0) rmdirSync(ownTmp);
  });
  t.diagnostic(`${await openvpnVersion()}; ${CASES.length} cases, ${JOBS} at a time; deliberate differences: ${DELIBERATE.map((d) => d.id).join(', ')}`);
  await Promise.all(
    CASES.map((c) =>
      t.test(c.name, async (st) => {
        const r = await runCase(c, FIXTURES);
        const s = r.comparison.summary;
        st.diagnostic(
          `real ${s.realOutcome} in ${r.realS.toFixed(1)} s | host ${s.hostOutcome} | pushed [${s.realPushed.join(' | ')}] | ifconfig ${s.realIfconfig ?? '-'} | ${s.hooks.length} hook calls compared`,
        );
        if (r.labProblem || r.comparison.differences.length) assert.fail(`\n${report(r)}`);
      }),
    ),
  );
});

// The harness's own parsing and comparison, without a server (runs everywhere).
test('parity harness: client log, recorder file, normalisation and diff', () => {
  const log = [
    "2026-11-29 05:48:31 us=690024 PUSH: Received control message: 'PUSH_REPLY,route 192.0.2.0 255.255.255.0,echo,ifconfig 10.8.0.9 255.255.255.0,push-continuation 2'",
    "2026-11-29 05:48:31 us=690025 PUSH: Received control message: 'PUSH_REPLY,route 10.9.0.0 255.255.0.0,peer-id 0,push-continuation 1'",
    '2026-11-29 05:48:31 us=733851 Initialization Sequence Completed',
  ].join('\n');
  const p = parseClientLog(log);
  assert.equal(p.connected, true);
  assert.deepEqual(p.pushed, ['route 192.0.2.0 255.255.255.0', 'echo', 'ifconfig 10.8.0.9 255.255.255.0', 'route 10.9.0.0 255.255.0.0', 'peer-id 0']);
  assert.equal(p.ifconfig, '10.8.0.9 255.255.255.0');
  assert.deepEqual(pluginPushed(restoreEchoes(p.pushed, ['cert-cn Test-Client'])), ['echo cert-cn Test-Client', 'route 10.9.0.0 255.255.0.0']);
  assert.equal(parseClientLog('x AUTH: Received control message: AUTH_FAILED,bad credentials for foo\n').authFailed, 'AUTH_FAILED,bad credentials for foo');

  const rec = parseRecorder(
    [
      'OPEN\t2\tout=/tmp/a/recorder.txt\tconfig,verb',
      'CONSTRUCTOR',
      'UP\t7\ttun0,1500\tdev',
      'IPCHANGE\t2\t[AF_INET]127.0.0.1 33023\tcommon_name',
      'CLIENT_CONNECT\t2\t/tmp/x/openvpn_cc_20fc46a5315405b55e79505b908b6a18.tmp\ta,b',
      'CLIENT_CONNECT_DEFER\t2\t/tmp/x/openvpn_cc_20fc46a5315405b55e79505b908b6a18.tmp\ta,b',
      'CLIENT_CONNECT_DEFER\t2\t/tmp/x/openvpn_cc_20fc46a5315405b55e79505b908b6a18.tmp\ta,b',
      'LEARN_ADDRESS\t3\tdelete,10.8.0.9\t',
    ].join('\n'),
  );
  assert.deepEqual(rec[7], { hook: 'LEARN_ADDRESS', argc: 3, argv: 'delete,10.8.0.9', env: [] });
  const n = normalize(rec, 'real', { recheckCountVaries: true });
  assert.deepEqual(
    n.map((r) => (r.argv === undefined ? r.hook : `${r.hook}(${r.argv})`)),
    [
      'OPEN(out=<file>)',
      'CONSTRUCTOR',
      'IPCHANGE([AF_INET]127.0.0.1 <port>)',
      'CLIENT_CONNECT(openvpn_cc_<hex>.tmp)',
      'CLIENT_CONNECT_DEFER(openvpn_cc_<hex>.tmp)',
      'LEARN_ADDRESS(delete,10.8.0.9)',
    ],
  );
  assert.equal(normalize(rec, 'host').length, 8, 'the host side keeps every call; only real tun hooks are dropped');

  assert.deepEqual(lineDiff(['a', 'b', 'c'], ['a', 'c', 'd']), ['    a', '  - b   (real only)', '    c', '  + d   (host only)']);
  assert.deepEqual(hunks(lineDiff(['1', '2', '3', '4', '5', '6', '7'], ['1', '2', '3', '4', '5', '6', 'x']), 1), [
    '    ...',
    '    6',
    '  - 7   (real only)',
    '  + x   (host only)',
  ]);

  // a difference in env keys is reported with the keys missing on the host side
  const real = { state: 'connected', pushed: [], authPending: [], ifconfig: '10.29.41.2 255.255.255.0' } as unknown as RealRun;
  const host: HostRun = { outcome: 'connected', options: [], authPending: [], address: '10.29.41.2', raw: null };
  const same = compareRuns(real, host, parseRecorder('TLS_FINAL\t1\t\ta,b'), parseRecorder('TLS_FINAL\t1\t\ta,b'));
  assert.deepEqual(same.differences, []);
  const diff = compareRuns(real, host, parseRecorder('TLS_FINAL\t1\t\ta,b,c'), parseRecorder('TLS_FINAL\t1\t\tb,a'));
  assert.equal(diff.differences.length, 1);
  // the AUTH_PENDING messages the client is sent are compared too
  const pendingReal = { ...real, authPending: ['AUTH_PENDING,timeout 60', 'INFO_PRE,OPEN_URL:x'] } as RealRun;
  const pendingHost = { ...host, authPending: ['AUTH_PENDING,timeout 4', 'INFO_PRE,OPEN_URL:x'] };
  const one = parseRecorder('TLS_FINAL\t1\t\ta');
  assert.deepEqual(compareRuns(pendingReal, { ...host, authPending: pendingReal.authPending }, one, one).differences, []);
  assert.match(compareRuns(pendingReal, pendingHost, one, one).differences.join('\n'), /different pending-auth messages/);
  assert.match(diff.differences[0]!, /real only \(missing in host\): c/);
});

test('parity harness: renegotiation cases (a token renewal is not the config; comparedTags values)', () => {
  const log = [
    "x PUSH: Received control message: 'PUSH_REPLY,route 192.0.2.0 255.255.255.0,ifconfig 10.29.41.2 255.255.255.0,auth-tokenSESS_ID'",
    "x PUSH: Received control message: 'PUSH_REPLY,auth-tokenSESS_ID'",
  ].join('\n');
  assert.equal(parseClientLog(log).ifconfig, '10.29.41.2 255.255.255.0', "a renegotiation's token renewal keeps the connect's config");
  const real = { state: 'connected', pushed: [], authPending: [], ifconfig: '10.29.41.2 255.255.255.0' } as unknown as RealRun;
  const host: HostRun = { outcome: 'connected', options: [], authPending: [], address: '10.29.41.2', raw: null };
  const rec = (state: string) => parseRecorder(`TLS_FINAL\t1\t\ta\t#2\tsession_state=${state};session_id=x`);
  assert.deepEqual(compareRuns(real, host, rec('Authenticated'), rec('Authenticated'), { comparedTags: ['session_state'] }).differences, []);
  assert.deepEqual(compareRuns(real, host, rec('Authenticated'), rec('Initial'), { comparedTags: ['session_state'] }).differences, [
    'session_state of hook #1 TLS_FINAL differs: real Authenticated, host Initial',
  ]);
  assert.deepEqual(compareRuns(real, host, rec('Authenticated'), rec('Initial')).differences, [], 'only the tags asked for are compared');
});

// Several clients: the parity-ctx-recorder format, attributing calls to clients, and the units OpenVPN runs in one go.
test('parity harness: several clients (context recorder, attribution, atomic units)', () => {
  const line = (hook: string, argv: string, ctx: string, tags = '') => `${hook}\t2\t${argv}\tcommon_name,untrusted_port\t${ctx}\t${tags}`;
  const text = [
    'OPEN\t3\tout=/tmp/r.txt,tag=username,untrusted_port\tverb\t\t',
    'CONSTRUCTOR\t\t\t\t#1\t',
    'CONSTRUCTOR\t\t\t\t#2\t',
    'CONSTRUCTOR\t\t\t\t#3\t',
    line('TLS_VERIFY', '0,CN=x', '#3', 'untrusted_port=222'),
    line('AUTH_USER_PASS_VERIFY', '', '#3', 'username=user-1;untrusted_port=222'),
    line('TLS_FINAL', '', '#3', 'username=user-1;untrusted_port=222'),
    line('TLS_VERIFY', '0,CN=x', '#2', 'untrusted_port=111'),
    line('IPCHANGE', '[AF_INET]127.0.0.1 222', '#1', 'username=user-1;untrusted_port=222'),
    line('CLIENT_CONNECT', '/t/openvpn_cc_0123456789abcdef0123456789abcdef.tmp', '#3', 'username=user-1'),
    line('AUTH_USER_PASS_VERIFY', '', '#2', 'username=user-2;untrusted_port=111'),
    line('CLIENT_CONNECT_V2', '', '#3', 'username=user-1'),
    'SCRIPT\t4\tsync,openvpn_cc_0123456789abcdef0123456789abcdef.tmp\ta,b\t\tusername=user-1;untrusted_port=222',
    line('LEARN_ADDRESS', 'add,10.29.41.2,Test-Client', '#3', 'username=user-1'),
    line('CLIENT_DISCONNECT', '', '#3'),
    'DESTRUCTOR\t\t\t\t#3\t',
    line('LEARN_ADDRESS', 'delete,10.29.41.2', '#1'),
    'DESTRUCTOR\t\t\t\t#2\t',
    'DESTRUCTOR\t\t\t\t#1\t',
    'CLOSE',
  ].join('\n');
  const rec = parseRecorder(text);
  assert.deepEqual(rec[0], { hook: 'OPEN', argc: 3, argv: 'out=/tmp/r.txt,tag=username,untrusted_port', env: ['verb'], tags: {} });
  assert.deepEqual(rec[1], { hook: 'CONSTRUCTOR', ctx: '#1' });
  assert.deepEqual(rec[5]!.tags, { username: 'user-1', untrusted_port: '222' });
  assert.equal(describe(rec[8]!), 'IPCHANGE([AF_INET]127.0.0.1 222)@#1');
  assert.deepEqual(normalize([rec[12]!], 'real').map(describe), ['SCRIPT(sync,openvpn_cc_<hex>.tmp)']);

  const a = attribute(rec);
  assert.deepEqual(
    a.server.map((r) => r.hook),
    ['OPEN', 'CONSTRUCTOR', 'DESTRUCTOR', 'CLOSE'],
    'the generic context and what no client owns',
  );
  assert.deepEqual(
    a.clients.map((c) => [c.ctx, c.username]),
    [
      ['#2', 'user-2'],
      ['#3', 'user-1'],
    ],
  );
  assert.deepEqual(
    a.clients[1]!.records.map((r) => r.hook),
    [
      'CONSTRUCTOR',
      'TLS_VERIFY',
      'AUTH_USER_PASS_VERIFY',
      'TLS_FINAL',
      'IPCHANGE',
      'CLIENT_CONNECT',
      'CLIENT_CONNECT_V2',
      'SCRIPT',
      'LEARN_ADDRESS',
      'CLIENT_DISCONNECT',
      'DESTRUCTOR',
      'LEARN_ADDRESS',
    ],
    'IPCHANGE and SCRIPT by port, LEARN_ADDRESS delete by address',
  );
  assert.deepEqual(
    atomicUnits(a.clients[1]!).map((u) => u.what.split(' (')[0]),
    ['AUTH_USER_PASS_VERIFY + TLS_FINAL', 'CLIENT_DISCONNECT + DESTRUCTOR', 'the client-connect chain'],
  );
  const broken = brokenUnits(a);
  assert.equal(broken.length, 1);
  assert.match(broken[0]!, /^client @#3: the client-connect chain .* interrupted by 1 other call\(s\): AUTH_USER_PASS_VERIFY@#2 of client @#2$/);
});
