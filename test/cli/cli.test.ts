// The CLI as a user runs it (node dist/cli.cjs, no shell): output, --json, --env/--arg, exit codes, temp files, signals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, ROOT, fixture } from '../helpers.js';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A private TMPDIR for the CLI runs, so the tests can see (and check the removal of) the CLI's temp dirs. */
const TMP = mkdtempSync(join(tmpdir(), 'ovph-cli-test-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));

function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is not built: run 'make build' first`);
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, TMPDIR: TMP, ...extraEnv }, timeout: 60_000 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}

function json(r: Run): Record<string, unknown> & { outcome: string } {
  try {
    return JSON.parse(r.stdout) as Record<string, unknown> & { outcome: string };
  } catch (err) {
    assert.fail(`stdout is not exactly one JSON document (${(err as Error).message}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

/** No stack trace and exactly one line on stderr. */
function assertOneLine(r: Run, re: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, re);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:|node:internal/, 'a stack trace was printed');
  assert.equal(r.stdout, '');
}

function tempDirsLeft(): string[] {
  return readdirSync(TMP).filter((n) => n.startsWith('ovpn-plugin-host-'));
}

// ---- global behaviour -----------------------------------------------------------------------------------------

test('--version prints the package version, exit 0', async () => {
  const r = await cli(['--version']);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('--help shows the commands and the exit codes, exit 0', async () => {
  const r = await cli(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /inspect/);
  assert.match(r.stdout, /call/);
  assert.match(r.stdout, /Exit codes:/);
  assert.match(r.stdout, /130/);
  const c = await cli(['call', '--help']);
  assert.equal(c.code, 0);
  assert.match(c.stdout, /--hook <name>/);
  assert.match(c.stdout, /DEFERRED/);
});

test('usage errors: one line on stderr, no stack trace, exit 2', async () => {
  assertOneLine(await cli(['inspect', fixture('v3-basic'), '--no-such-option']), /^ovpn-plugin-host: .*unknown option '--no-such-option'/);
  assertOneLine(await cli(['inspect']), /^ovpn-plugin-host: .*missing required argument/);
  assertOneLine(await cli(['frobnicate']), /^ovpn-plugin-host: .*unknown command 'frobnicate'/);
  assertOneLine(await cli(['call', fixture('v3-basic')]), /^ovpn-plugin-host: .*--hook/);
  assertOneLine(await cli(['inspect', fixture('v3-basic'), '--call-timeout', 'soon']), /^ovpn-plugin-host: .*--call-timeout/);
  for (const args of [['inspect', 'x.so', '--bogus'], ['frobnicate'], ['inspect']]) {
    assert.equal((await cli(args)).code, 2, args.join(' '));
  }
});

// ---- inspect --------------------------------------------------------------------------------------------------

test('inspect: file, entry points, ABI versions, min version, init point, hooks, log, closed', async () => {
  const r = await cli(['inspect', fixture('v3-basic'), 'demo-arg']);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /^file\s+.*v3-basic\.so$/m);
  assert.match(out, /^exports\s+openvpn_plugin_open_v3, openvpn_plugin_func_v3, openvpn_plugin_close_v1, /m);
  assert.match(out, /^ABI\s+open v3 .*func v3 .*v3 then v2 then v1/m);
  assert.match(out, /^min version\s+3 /m);
  assert.match(out, /^init point\s+2 PRE_DAEMON/m);
  assert.match(out, /^hooks\s+0x07b3 UP, DOWN, TLS_VERIFY, AUTH_USER_PASS_VERIFY, CLIENT_DISCONNECT, LEARN_ADDRESS, CLIENT_CONNECT_V2, TLS_FINAL$/m);
  assert.match(out, /\[note\]\s+v3-basic: open: argc=2 argv\[1\.\.\]=demo-arg ovpn_version=2\.6\.14/);
  assert.match(out, /\[note\]\s+v3-basic: close$/m);
  assert.match(out, /^closed\s+/m);
  assert.equal(r.stderr, '');
});

test('inspect: a mixed-ABI plugin shows open v3 with func v1; stdout lines of a v1 plugin are shown', async () => {
  const mixed = await cli(['inspect', fixture('v3-open-v1-func')]);
  assert.equal(mixed.code, 0, mixed.stderr);
  assert.match(mixed.stdout, /^ABI\s+open v3 .*func v1 /m);
  assert.match(mixed.stdout, /^min version\s+openvpn_plugin_min_version_required_v1 not exported/m);
  const v1 = await cli(['inspect', fixture('v1-only'), 'hello']);
  assert.equal(v1.code, 0, v1.stderr);
  assert.match(v1.stdout, /^ABI\s+open v1 .*func v1 /m);
  assert.match(v1.stdout, /\[stdout\]\s+.*: v1-only: open argv\[1\]=hello$/m);
});

test('inspect --json: exactly one JSON object on stdout, logs inside it (not on stdout), exit 0', async () => {
  const r = await cli(['inspect', fixture('v3-basic'), 'x', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const o = json(r);
  assert.equal(o.outcome, 'ok');
  const plugin = o.plugin as { openVersion: number; funcVersion: number; hooks: string[]; exported: string[]; typeMask: number };
  assert.equal(plugin.openVersion, 3);
  assert.equal(plugin.funcVersion, 3);
  assert.equal(plugin.typeMask, 0x7b3);
  assert.ok(plugin.hooks.includes('CLIENT_CONNECT_V2'));
  const logs = o.logs as Array<{ message: string; level: string; plugin: string }>;
  assert.ok(logs.some((l) => l.message.startsWith('open: argc=2')));
  assert.equal(r.stderr, '');
});

test('inspect --json -v: pino JSON lines with plugin/pid/source on stderr, stdout still one JSON object', async () => {
  const r = await cli(['inspect', fixture('log-threads'), '--json', '-v']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(json(r).outcome, 'ok');
  const lines = r.stderr
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { level: number; msg: string; plugin?: string; pid?: number; source?: string });
  const open = lines.find((l) => l.msg === 'open: 5 lines per writer');
  assert.ok(open, r.stderr);
  assert.equal(open.plugin, 'log-threads');
  assert.equal(open.source, 'plugin_log');
  assert.equal(typeof open.pid, 'number');
  assert.equal(open.level, 30, 'note -> info');
});

test('inspect failures: exit 5 for load errors, 4 for a crash; one message line naming the file, then the log', async () => {
  const missing = await cli(['inspect', '/nonexistent/plugin.so']);
  assert.equal(missing.code, 5);
  assert.match(missing.stderr.split('\n')[0]!, /^ovpn-plugin-host: \/nonexistent\/plugin\.so: no such file/);
  assert.equal(missing.stdout, '');
  // a user mistake (nothing loaded, nothing logged) is one line, for every command
  assertOneLine(missing, /^ovpn-plugin-host: \/nonexistent\/plugin\.so: no such file/);
  assertOneLine(await cli(['call', '/etc/passwd', '--hook', 'UP']), /^ovpn-plugin-host: \/etc\/passwd: not a shared object/);
  assertOneLine(await cli(['connect', '/nonexistent/plugin.so']), /^ovpn-plugin-host: \/nonexistent\/plugin\.so: no such file/);

  const fails = await cli(['inspect', fixture('open-fails')]);
  assert.equal(fails.code, 5);
  assert.match(fails.stderr.split('\n')[0]!, /^ovpn-plugin-host: .*open-fails\.so: openvpn_plugin_open_v3 returned ERROR/);
  assert.match(fails.stderr, /refusing to open/);
  assert.match(fails.stderr, /open-fails: abort handle=null/);
  assert.doesNotMatch(fails.stderr, /\n\s+at /);

  const crash = await cli(['inspect', fixture('fault-signal'), 'where=open', 'how=crash']);
  assert.equal(crash.code, 4);
  assert.match(crash.stderr.split('\n')[0]!, /^ovpn-plugin-host: the plugin crashed with SIGSEGV in open of .*fault-signal\.so/);
});

test('inspect failures with --json: the failure object on stdout (load-error with its kind and logs)', async () => {
  const r = await cli(['inspect', fixture('open-fails'), 'null-handle', '--json']);
  assert.equal(r.code, 5);
  const o = json(r);
  assert.equal(o.outcome, 'load-error');
  assert.equal((o.error as { kind: string }).kind, 'open-failed');
  assert.ok((o.logs as Array<{ message: string }>).some((l) => l.message === 'open-fails: abort handle=null'));
  assert.equal(r.stderr, '');
  const crash = json(await cli(['inspect', fixture('fault-signal'), 'where=close', 'how=crash', 'auth=1', 'tls=1', '--json']));
  assert.equal(crash.outcome, 'crashed');
  assert.equal((crash.during as { call: string }).call, 'close');
});

// ---- call -----------------------------------------------------------------------------------------------------

test('call: AUTH_USER_PASS_VERIFY with --env -> SUCCESS exit 0 / ERROR exit 1', async () => {
  const ok = await cli(['call', fixture('v3-basic'), '--hook', 'AUTH_USER_PASS_VERIFY', '--env', 'username=foo', '--env', 'password=bar']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^result\s+SUCCESS \(0\)$/m);
  assert.match(ok.stdout, /auth succeeded for user 'foo'/);
  const bad = await cli(['call', fixture('v3-basic'), '--hook', 'openvpn-plugin-auth-user-pass-verify', '--env', 'username=foo', '--env', 'password=nope']);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stdout, /^result\s+ERROR \(1\)$/m);
});

test('call --env: replaces in place, adds new names at the front, NAME= sets an empty value', async () => {
  const base = json(await cli(['call', fixture('v3-basic'), '--hook', '5', '--json']));
  const env0 = base.env as string[];
  const at = env0.findIndex((e) => e.startsWith('username='));
  assert.ok(at > 0, 'the default AUTH env has a username');
  const r = await cli([
    'call',
    fixture('v3-basic'),
    '--hook',
    'OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY',
    '--json',
    '--env',
    'username=foo',
    '--env',
    'password=',
    '--env',
    'MY_NEW_VAR=1',
    '--env',
    'OTHER_NEW=a=b',
  ]);
  const o = json(r);
  assert.equal(o.hook, 'AUTH_USER_PASS_VERIFY');
  const env = o.env as string[];
  assert.equal(env.length, env0.length + 2);
  assert.deepEqual(env.slice(0, 2), ['OTHER_NEW=a=b', 'MY_NEW_VAR=1'], 'new names go to the front, newest first');
  assert.equal(env[at + 2], 'username=foo', 'an existing name keeps its position');
  assert.ok(env.includes('password='));
  assert.equal(o.returnName, 'ERROR');
  assert.equal(r.code, 1);
});

test('call --arg replaces the default argv; TLS_VERIFY gets the test PKI certificate at that depth', async () => {
  const def = json(await cli(['call', fixture('v3-basic'), '--hook', 'TLS_VERIFY', '--json']));
  const argv0 = def.argv as string[];
  assert.equal(argv0.length, 3);
  assert.equal(argv0[1], '0');
  assert.match(argv0[2]!, /CN=Test-Client/);
  assert.ok((def.logs as Array<{ message: string }>).some((l) => /^hook 4 context #\d+ argc=3 depth=0$/.test(l.message)));

  const r = await cli(['call', fixture('v3-basic'), '--hook', 'tls-verify', '--arg', '1', '--arg', 'CN=some CA', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const o = json(r);
  assert.deepEqual((o.argv as string[]).slice(1), ['1', 'CN=some CA']);
  assert.ok(
    (o.logs as Array<{ message: string }>).some((l) => /^hook 4 context #\d+ argc=3 depth=1$/.test(l.message)),
    'current_cert_depth 1 (a certificate was passed)',
  );
  assert.equal((await cli(['call', fixture('v3-basic'), '--hook', 'TLS_VERIFY', '--arg', '7'])).code, 2, 'no cert at depth 7');
});

test('call CLIENT_CONNECT: argv[1] is an empty 0600 file in a private temp dir; its content is reported; the dir is removed', async () => {
  const r = await cli(['call', fixture('v1-only'), '--hook', 'CLIENT_CONNECT', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const o = json(r);
  const files = o.files as Array<{ name: string; path: string; content: string | null }>;
  const cc = files.find((f) => f.name === 'client_connect_config_file');
  assert.ok(cc, JSON.stringify(files));
  assert.equal(cc.content, 'push "echo v1-only"\n');
  assert.equal((o.argv as string[])[1], cc.path, 'argv[1] is the config file');
  assert.ok((o.env as string[]).includes(`client_connect_config_file=${cc.path}`));
  const ccr = files.find((f) => f.name === 'client_connect_deferred_file');
  assert.equal(ccr?.content, '');
  assert.equal(dirname(cc.path).startsWith(join(TMP, 'ovpn-plugin-host-')), true);
  assert.equal(existsSync(dirname(cc.path)), false, 'the temp dir was not removed');
  assert.deepEqual(tempDirsLeft(), []);
  const human = await cli(['call', fixture('v1-only'), '--hook', 'CLIENT_CONNECT']);
  assert.match(human.stdout, /client_connect_config_file .*: "push \\"echo v1-only\\"\\n"/);
});

test('call CLIENT_CONNECT_V2: return list nodes (null names and values shown), config, exit 1 for code 7', async () => {
  const list = await cli(['call', fixture('return-list'), '--hook', 'CLIENT_CONNECT_V2', '--env', 'common_name=demo-client']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^ {4}foo = "bar"$/m);
  assert.match(list.stdout, /^config\s+the first "config" node/m);
  assert.match(list.stdout, /^ {4}ifconfig-push 10\.8\.0\.5 255\.255\.255\.0$/m);

  const bad = await cli(['call', fixture('bad-return'), '--hook', 'CLIENT_CONNECT_V2']);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /: 7 \(7\)/);
  assert.match(bad.stdout, /^ {4}\(null\) = "value of a nameless node"$/m);
  assert.match(bad.stdout, /^ {4}nullvalue = \(null\)$/m);
  const o = json(await cli(['call', fixture('bad-return'), '--hook', 'CLIENT_CONNECT_V2', '--json']));
  assert.equal(o.returnName, 'ERROR');
  assert.equal(o.config, 'push "echo ok"\n');
  assert.equal((o.calls as Array<{ returnName: string }>)[0]!.returnName, '7');
});

test('call: DEFERRED exits 1; the plugin-written auth_pending_file content is reported', async () => {
  const r = await cli(['call', fixture('auth-defer'), 'pending=1', 'delay_ms=50', '--hook', 'AUTH_USER_PASS_VERIFY', '--json']);
  assert.equal(r.code, 1, r.stderr);
  const o = json(r);
  assert.equal(o.returnName, 'DEFERRED');
  const files = o.files as Array<{ name: string; content: string | null }>;
  assert.deepEqual(
    files.map((f) => f.name),
    ['auth_control_file', 'auth_pending_file', 'auth_failed_reason_file'],
  );
  assert.equal(files.find((f) => f.name === 'auth_pending_file')!.content, '60\nwebauth\nOPEN_URL:https://example.invalid/login\n');
});

test('call --no-client-context: the plugin gets the generic context (no constructor/destructor around the call)', async () => {
  const fresh = json(await cli(['call', fixture('v3-basic'), '--hook', 'AUTH_USER_PASS_VERIFY', '--json']));
  const freshLogs = (fresh.logs as Array<{ message: string }>).map((l) => l.message);
  assert.ok(freshLogs.includes('constructor: context #2'), freshLogs.join('\n'));
  assert.ok(
    freshLogs.some((m) => /^hook 5 context #2 /.test(m)),
    freshLogs.join('\n'),
  );
  const generic = json(await cli(['call', fixture('v3-basic'), '--hook', 'AUTH_USER_PASS_VERIFY', '--no-client-context', '--json']));
  const logs = (generic.logs as Array<{ message: string }>).map((l) => l.message);
  assert.ok(
    logs.some((m) => /^hook 5 context #1 /.test(m)),
    logs.join('\n'),
  );
  assert.ok(!logs.includes('constructor: context #2'), logs.join('\n'));
});

test('call: a hook the plugin did not register is reported as not called, exit 0', async () => {
  const r = await cli(['call', fixture('v3-basic'), '--hook', 'CLIENT_CONNECT']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /not registered: .*OpenVPN would not call it/);
  const o = json(await cli(['call', fixture('v3-basic'), '--hook', 'CLIENT_CONNECT', '--json']));
  assert.equal(o.notRegistered, true);
});

test('call usage errors: unknown hook lists the valid names; bad --env value; exit 2, one line', async () => {
  const hook = await cli(['call', fixture('v3-basic'), '--hook', 'CLIENT_CONNECT_V3']);
  assert.equal(hook.code, 2);
  assertOneLine(hook, /^ovpn-plugin-host: unknown hook 'CLIENT_CONNECT_V3'; valid hooks: UP, DOWN, .*CLIENT_CONNECT_V2.*CLIENT_CRRESPONSE/);
  for (const bad of ['NOVALUE', '=value', '']) {
    const r = await cli(['call', fixture('v3-basic'), '--hook', 'UP', '--env', bad]);
    assert.equal(r.code, 2, bad);
    assertOneLine(r, new RegExp(`^ovpn-plugin-host: bad --env value '${bad}': expected NAME=VALUE$`));
  }
  assert.deepEqual(tempDirsLeft(), []);
});

test('call failures: crash -> 4, hang -> 4, open fails -> 5, missing file -> 5; temp dirs removed', async () => {
  const crash = await cli(['call', fixture('fault-signal'), 'where=hook', 'how=crash', 'auth=1', 'tls=1', '--hook', 'AUTH_USER_PASS_VERIFY']);
  assert.equal(crash.code, 4);
  assert.match(
    crash.stderr.split('\n')[0]!,
    /^ovpn-plugin-host: the plugin crashed with SIGSEGV in AUTH_USER_PASS_VERIFY of .*fault-signal\.so at die\S*\+0x[0-9a-f]+$/,
  );
  assert.match(crash.stderr, /about to crash in hook/);
  assert.equal(crash.stdout, '');

  const crashJson = json(await cli(['call', fixture('fault-signal'), 'where=hook', 'how=abort', 'auth=1', 'tls=1', '--hook', 'CLIENT_CONNECT_V2', '--json']));
  assert.equal(crashJson.outcome, 'crashed');
  assert.equal(crashJson.signal, 'SIGABRT');

  const t0 = Date.now();
  const hang = await cli(['call', fixture('fault-hang'), 'where=hook', 'auth=1', '--hook', 'CLIENT_CONNECT_V2', '--call-timeout', '500']);
  assert.equal(hang.code, 4);
  assert.match(hang.stderr, /did not return within 500 ms in CLIENT_CONNECT_V2/);
  assert.ok(Date.now() - t0 < 10_000);

  const fails = await cli(['call', fixture('open-fails'), 'bad-mask', '--hook', 'UP']);
  assert.equal(fails.code, 5);
  assert.match(fails.stderr, /unsupported plugin types/);
  assert.equal((await cli(['call', '/nonexistent.so', '--hook', 'UP'])).code, 5);
  assert.deepEqual(tempDirsLeft(), [], 'a temp dir was left behind');
});

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test(`call interrupted by ${signal} while a plugin hangs: worker killed, temp dir removed, exit ${code}`, async () => {
    const child = spawn(process.execPath, [CLI, 'call', fixture('fault-hang'), 'where=hook', 'auth=1', '--hook', 'AUTH_USER_PASS_VERIFY'], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: TMP },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    for (let i = 0; i < 100 && !/hanging in hook/.test(stderr) && tempDirsLeft().length === 0; i++) await sleep(100);
    await sleep(500); // the call is in progress
    assert.equal(tempDirsLeft().length, 1, 'the call made its temp dir');
    // while the plugin runs: a private dir with OpenVPN's empty 0600 auth files in it
    const dir = join(TMP, tempDirsLeft()[0]!);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const files = readdirSync(dir);
    assert.deepEqual(files.map((f) => f.replace(/_[0-9a-f]{32}\.tmp$/, '')).sort(), ['openvpn_acf', 'openvpn_afr', 'openvpn_apf']);
    for (const f of files) {
      const st = statSync(join(dir, f));
      assert.equal(st.mode & 0o777, 0o600, f);
      assert.equal(st.size, 0, f);
    }
    const workers = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    child.kill(signal);
    assert.equal(await exited, code, stderr);
    assert.deepEqual(tempDirsLeft(), []);
    await sleep(200);
    for (const w of workers) {
      const alive = existsSync(`/proc/${w}`) && !/\) Z /.test(readFileSync(`/proc/${w}/stat`, 'utf8'));
      assert.equal(alive, false, `worker ${w} is still running`);
    }
  });
}

test('connect --stage client-connect refuses the options of the whole life (exit 2, one line), never dropping them silently', async () => {
  const base = ['connect', fixture('cc-v2-defer'), '--stage', 'client-connect'];
  for (const extra of [
    ['--password', 'x'],
    ['--cert', join(ROOT, 'assets', 'test-pki', 'chain.pem')],
    ['--peer-info', 'IV_SSO=webauth'],
    ['--hand-window', '5'],
  ]) {
    const r = await cli([...base, ...extra]);
    assert.equal(r.code, 2, `${extra[0]}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`${extra[0]}: not used by --stage client-connect`));
  }
  const ok = await cli([...base, '--username', 'u', '--common-name', 'cn']);
  assert.equal(ok.code, 0, ok.stderr);
});

test('connect --peer-info with a name a client never sends is a usage error; --env IV_* warns it is not sent', async () => {
  const bad = await cli(['connect', fixture('cc-v2-defer'), '--peer-info', 'WANT_X=1']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /peer info WANT_X: a client sends only IV_\* and UV_\* names/);
  const warned = await cli(['connect', fixture('cc-v2-defer'), 'polls=1', '--env', 'IV_SSO=webauth']);
  assert.equal(warned.code, 0, warned.stderr);
  assert.match(warned.stderr, /warning: --env IV_SSO sets the hooks' env only; the client does not send it \(use --peer-info IV_SSO=\.\.\. for that\)/);
});

test('connect --json keeps every log line the text mode shows (open, constructors, close), each with its phase', async () => {
  const r = await cli(['connect', fixture('cc-v2-defer'), 'polls=1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const logs = (json(r).logs as Array<{ phase: string; message: string }>).map((l) => `${l.phase}: ${l.message}`);
  assert.deepEqual(logs, [
    'open: OPEN polls=1 result=success',
    'open: CONSTRUCTOR',
    'connect: CONSTRUCTOR',
    'connect: CLIENT_CONNECT_V2 deferring (resolves after 1 polls)',
    'connect: CLIENT_CONNECT_DEFER_V2 defer_v2 poll 1 of 1: success',
    'disconnect: DESTRUCTOR polls seen=1',
    'close: DESTRUCTOR polls seen=0',
    'close: CLOSE',
  ]);
});

test('a reader that stops early (| head) ends the CLI quietly: no EPIPE stack trace, no temp dir left', async () => {
  const { spawn } = await import('node:child_process');
  const before = readdirSync(TMP).length;
  // a JSON document larger than the pipe holds: the CLI is still writing when the reader goes
  const child = spawn(process.execPath, [CLI, 'connect', fixture('fault-logflood'), 'lines=5000', '--json'], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: TMP },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.doesNotMatch(stderr, /EPIPE|\n\s+at /, stderr);
  assert.notEqual(code, null);
  assert.equal(readdirSync(TMP).length, before, 'no temp dir left');
});

test('numbers a timer cannot wait are usage errors (exit 2, one line), not an instant "hung"', async () => {
  for (const args of [
    ['--call-timeout', '2147483648'],
    ['--timeout', '99999999999'],
  ]) {
    const r = await cli(['connect', fixture('cc-v2-defer'), ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const hold = await cli(['load', fixture('cc-v2-defer'), '--hold', '9999999999999']);
  assert.equal(hold.code, 2, hold.stderr);
});

test('--cert and scenario files are regular files of a sane size: /dev/zero, a FIFO, a directory are one line, exit 2, at once', async () => {
  const { execFileSync } = await import('node:child_process');
  const fifo = join(TMP, 'scenario.fifo');
  execFileSync('mkfifo', [fifo]);
  try {
    for (const args of [
      ['connect', fixture('cc-v2-defer'), '--cert', '/dev/zero'],
      ['connect', fixture('cc-v2-defer'), '--cert', fifo],
      ['run', '/dev/zero'],
      ['run', fifo],
      ['run', TMP],
    ]) {
      const t0 = Date.now();
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /not a regular file|cannot read the scenario file: is a (directory|FIFO|device)/);
      assert.ok(Date.now() - t0 < 10_000, 'never blocks');
    }
  } finally {
    rmSync(fifo, { force: true });
  }
});

test("an own option after '--' is the plugin's argument: a warning says so", async () => {
  const r = await cli(['inspect', fixture('v3-basic'), '--', '-a', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: --json comes after '--', so it is an argument of the plugin, not the inspect option; put it before '--'/);
  assert.match(r.stdout, /argv +\S+ -a --json/);
});

test('inspect of a plugin whose open failed says it registered nothing, not the mask the host offered (#13)', async () => {
  const r = await cli(['inspect', fixture('open-fails'), 'error']);
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stderr, /hooks +none: open failed before the plugin registered any/);
  assert.doesNotMatch(r.stderr, /0xffff/);
});

test('a life that called no hook says whether nothing was registered or the client was refused first (#13)', async () => {
  const refused = await cli(['connect', fixture('auth-defer')]);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stdout, /\(none called; the plugins registered AUTH_USER_PASS_VERIFY, but the client was refused before them/);
});

test("load -v logs the host's own progress (open, the clients' progress, close) and the plugins' lines, as connect -v does (#13)", async () => {
  const r = await cli(['load', fixture('v3-basic'), '--clients', '5', '--username', 'foo', '--password', 'bar', '-v', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const records = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; plugin?: string });
  const own = records.filter((l) => l.plugin === undefined).map((l) => l.msg);
  for (const m of ['opening the plugin chain', 'opened; running 5 clients', 'the clients are done; closing the plugins']) {
    assert.ok(own.includes(m), `${m} in ${JSON.stringify(own)}`);
  }
  assert.ok(
    own.some((m) => /^\[#+\] 5\/5 done, 0 in progress \| connected 5 /.test(m)),
    `the clients' progress in ${JSON.stringify(own)}`,
  );
  assert.ok(
    records.some((l) => l.plugin === 'v3-basic' && /auth succeeded for user 'foo'/.test(l.msg)),
    "the plugins' lines",
  );
  assert.equal((JSON.parse(r.stdout) as { outcome: string }).outcome, 'completed');
});

test('call with several --hook: called in order with one per-client context (a deferral, then its re-check); alone, a re-check hook is warned about (#13)', async () => {
  const r = await cli(['call', fixture('cc-v2-defer'), 'polls=1', '--hook', 'CLIENT_CONNECT_V2', '--hook', 'CLIENT_CONNECT_DEFER_V2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const o = JSON.parse(r.stdout) as {
    hook: string;
    returnName: string;
    next: Array<{ hook: string; returnName: string; config: string | null }>;
    logs: Array<{ message: string }>;
  };
  assert.equal(o.hook, 'CLIENT_CONNECT_V2');
  assert.equal(o.returnName, 'DEFERRED');
  assert.deepEqual(
    o.next.map((s) => [s.hook, s.returnName, s.config]),
    [['CLIENT_CONNECT_DEFER_V2', 'SUCCESS', 'ifconfig-push 10.8.0.9 255.255.255.0\npush "route 10.9.0.0 255.255.0.0"\n']],
  );
  // the re-check ran in the context the deferral was made in: its destructor saw the poll
  assert.ok(
    o.logs.some((l) => l.message === 'DESTRUCTOR polls seen=1'),
    JSON.stringify(o.logs.map((l) => l.message)),
  );
  const text = await cli(['call', fixture('cc-v2-defer'), 'polls=1', '--hook', 'CLIENT_CONNECT_V2', '--hook', 'CLIENT_CONNECT_DEFER_V2']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^result {7}DEFERRED \(2\)\n[\s\S]*\n\nhook {9}CLIENT_CONNECT_DEFER_V2 \(14\)\n[\s\S]*^result {7}SUCCESS \(0\)$/m);
  const alone = await cli(['call', fixture('cc-v2-defer'), 'polls=1', '--hook', 'CLIENT_CONNECT_DEFER_V2']);
  assert.match(
    alone.stderr,
    /^ovpn-plugin-host: warning: CLIENT_CONNECT_DEFER_V2 alone gets a fresh per-client context, in which nothing was deferred; give the deferring hook first \(--hook CLIENT_CONNECT_V2 --hook CLIENT_CONNECT_DEFER_V2\), or use connect$/m,
  );
});

test("connect -v logs the host's own progress (open, connect, disconnect, close), not only the plugins' lines (#13)", async () => {
  const r = await cli(['connect', fixture('cc-v2-defer'), 'polls=3', '-v', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const msgs = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; plugin?: string })
    .filter((l) => l.plugin === undefined)
    .map((l) => l.msg);
  for (const m of ['opening the plugin chain', 'opened; connecting a client', 'connected; disconnecting the client', 'closing the plugins']) {
    assert.ok(msgs.includes(m), `${m} in ${JSON.stringify(msgs)}`);
  }
  assert.ok(
    msgs.some((m) => /^client-connect: waiting/.test(m)),
    "the deferral's progress",
  );
});
