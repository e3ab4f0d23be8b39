// The package as a plugin author gets it: the tarball `make pack` writes, installed into an empty project on a PATH
// with node and npm but no C compiler or make; the CLI through npx, the library from node:test and TypeScript; the
// prebuilt runtime removed: built from source with cc, or one clear line without it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../helpers.js';
import { exec, installedProject, type InstalledProject } from './installed-project.js';

const AUTH_PAM = '/usr/lib/x86_64-linux-gnu/openvpn/plugins/openvpn-plugin-auth-pam.so';

let p: InstalledProject;
let project: string;
let installed: string;

function npx(args: string[], withCc = false) {
  return p.run('npx', ['--no-install', 'ovpn-plugin-host', ...args], withCc);
}

before(async () => {
  p = await installedProject();
  project = p.project;
  installed = p.installed;
});

after(() => p.remove());

test('the tarball holds the package, not the project: no tests, benches or fixture sources; under 2 MB unpacked', () => {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(p.slice(installed.length + 1));
    }
  };
  for (const top of readdirSync(installed)) {
    if (top === 'node_modules') continue;
    const p = join(installed, top);
    if (statSync(p).isDirectory()) walk(p);
    else files.push(top);
  }
  assert.ok(files.includes('dist/cli.cjs') && files.includes('LICENSE') && files.includes('README.md'), files.join('\n'));
  // the CLI and the worker run from their bundles (scripts/bundle.mjs), built at pack time
  assert.ok(files.includes('dist/bundle/cli.js') && files.includes('dist/bundle/worker.cjs'), files.join('\n'));
  assert.ok(files.includes(`prebuilt/linux-x64/libovph-runtime.so`) && files.includes(`prebuilt/linux-arm64/libovph-runtime.so`));
  assert.deepEqual(
    files.filter((f) => /^(test|bench|native-fixtures)\/|\.test\.|Makefile/.test(f)),
    [],
  );
  const bytes = files.reduce((n, f) => n + statSync(join(installed, f)).size, 0);
  assert.ok(bytes < 2 * 1024 * 1024, `unpacked ${bytes} bytes`);
});

test('npx ovpn-plugin-host inspect: the Debian auth-pam plugin, on a machine with only node', async (t) => {
  // Deliberate: `make test` installs Debian's openvpn (system-deps, as root, as CI runs it), so this runs there; a
  // developer machine without the package skips it, saying which package to install.
  if (!existsSync(AUTH_PAM)) return t.skip(`${AUTH_PAM} is not installed (Debian package openvpn)`);
  const r = await npx(['inspect', AUTH_PAM, 'login']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /openvpn_plugin_open_v3/);
  assert.match(r.stdout, /AUTH_USER_PASS_VERIFY/);
});

test('npx ovpn-plugin-host demo: a deferred auth and deferred client-connects on the bundled plugins', async () => {
  const r = await npx(['demo']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.match(/^CONNECTED as /gm)?.length, 2, r.stdout);
  assert.match(r.stdout, /auth: deferred, \d+ reads of auth_control_file, decided by '1'/);
  assert.match(r.stdout, /CLIENT_CONNECT_DEFER_V2 cc-v2-defer\.so=SUCCESS/);
});

test('the installed command runs from its bundles: its CommonJS entry starts the worker bundle, then the CLI bundle runs', async () => {
  // npm unpacks every file with the time of unpacking, the compiled modules after the bundles: the bundles must still
  // be the ones that run (util/fresh-bundle.cts)
  const log = join(project, 'loaded.txt');
  writeFileSync(log, '');
  writeFileSync(
    join(project, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, url.slice(7) + '\\n');\n  return next(url, context);\n}\n`,
  );
  writeFileSync(join(project, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
  writeFileSync(
    join(project, 'record.cjs'),
    [
      "const { appendFileSync } = require('node:fs');",
      "const cp = require('node:child_process');",
      'const spawn = cp.spawn;',
      `cp.spawn = function (file, args, ...rest) { appendFileSync(${JSON.stringify(log)}, 'spawn ' + args[0] + '\\n'); return spawn.call(this, file, args, ...rest); };`,
      `process.on('exit', () => { for (const f of Object.keys(require.cache)) if (f !== __filename) appendFileSync(${JSON.stringify(log)}, f + '\\n'); });`,
      '',
    ].join('\n'),
  );
  const cli = join(installed, 'dist', 'cli.cjs');
  const r = await p.run('node', [
    '--require',
    './record.cjs',
    '--import',
    './register.mjs',
    cli,
    'inspect',
    join(installed, 'dist', '..', 'prebuilt', 'none.so'),
  ]);
  assert.equal(r.code, 5, r.stderr); // a missing plugin: the worker was started all the same, before the arguments were read
  const loaded = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((f) => (f.startsWith('spawn ') ? f : relative(installed, f)));
  assert.deepEqual(
    loaded.filter((f) => f.startsWith('spawn ')),
    [`spawn ${join(installed, 'dist', 'bundle', 'worker.cjs')}`],
    loaded.join('\n'),
  );
  assert.ok(loaded.indexOf(`spawn ${join(installed, 'dist', 'bundle', 'worker.cjs')}`) < loaded.indexOf('dist/bundle/cli.js'), loaded.join('\n'));
  assert.ok(loaded.includes('dist/bundle/early-worker.cjs'), loaded.join('\n'));
  assert.deepEqual(
    loaded.filter((f) => !f.startsWith('spawn ') && f !== 'dist/cli.cjs' && f !== 'dist/util/fresh-bundle.cjs' && !f.startsWith('dist/bundle/')),
    [],
    'no compiled module besides the entry and its freshness check',
  );
});

test('a node:test file in the project uses the library against a bundled plugin', async () => {
  writeFileSync(
    join(project, 'plugin.test.js'),
    `
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openHost, bundledPlugin } from 'ovpn-plugin-host';

test('deferred client-connect', async () => {
  const host = await openHost({ plugins: [{ path: bundledPlugin('cc-v2-defer'), args: ['polls=2'] }] });
  try {
    const r = await host.client().connect();
    assert.equal(r.outcome, 'connected');
    assert.equal(r.clientConnect.deferred, true);
  } finally {
    await host.close();
  }
});
`,
  );
  const { stdout } = await exec(join(p.bareBin, 'node'), ['--test', '--test-reporter=tap', 'plugin.test.js'], { cwd: project, env: p.env() });
  assert.match(stdout, /# pass 1\n/);
  assert.match(stdout, /# fail 0\n/);
});

test('a TypeScript consumer type-checks against the installed package', async () => {
  writeFileSync(
    join(project, 'consumer.ts'),
    `
import { openHost, isFailure, type ConnectResult, type HostOptions } from 'ovpn-plugin-host';
const options: HostOptions = { plugins: [{ path: './my-plugin.so', args: ['verb=3'] }] };
export async function outcome(): Promise<ConnectResult['outcome']> {
  const host = await openHost(options);
  const r: ConnectResult = await host.client({ username: 'alice', password: 'secret' }).connect();
  await host.close();
  return isFailure(r) ? r.outcome : r.outcome;
}
`,
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        strict: true,
        noEmit: true,
        types: ['node'],
        lib: ['ES2022', 'ESNext.Disposable'],
      },
      files: ['consumer.ts'],
    }),
  );
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = await exec(join(p.bareBin, 'node'), [tsc, '-p', 'tsconfig.json'], { cwd: project, env: p.env() }).then(
    () => '',
    (e: { stdout: string }) => e.stdout,
  );
  assert.equal(r, '', 'tsc reports no error');
});

test('the arm64 runtime is an aarch64 ELF exporting the same symbols as the x64 one', async () => {
  const symbols = async (arch: string) => {
    const { stdout } = await exec('readelf', ['-h', '--dyn-syms', '-W', join(installed, 'prebuilt', `linux-${arch}`, 'libovph-runtime.so')]);
    const machine = /Machine:\s+(.+)/.exec(stdout)?.[1]?.trim();
    const names = stdout
      .split('\n')
      .filter((l) => /\sGLOBAL\s+DEFAULT\s+\d+\s/.test(l))
      .map((l) => l.trim().split(/\s+/).pop()!)
      .sort();
    return { machine, names };
  };
  const x64 = await symbols('x64');
  const arm64 = await symbols('arm64');
  assert.equal(arm64.machine, 'AArch64');
  assert.match(x64.machine ?? '', /X86-64/);
  assert.ok(x64.names.includes('ovph_callbacks'), x64.names.join(' '));
  assert.deepEqual(arm64.names, x64.names);
});

test('without its prebuilt runtime: one clear line without a compiler, built from source with cc on PATH', async () => {
  rmSync(join(installed, 'prebuilt', `linux-${process.arch}`, 'libovph-runtime.so'));
  const without = await npx(['inspect', join(installed, 'prebuilt', `linux-${process.arch}`, 'plugins', 'cc-v2-defer.so')]);
  assert.equal(without.code, 5, without.stderr);
  assert.equal(without.stderr.trim().split('\n').length, 1, without.stderr);
  assert.match(without.stderr, /no C compiler \(cc\) to build one: install one \(Debian\/Ubuntu: apt-get install gcc\)/);
  assert.doesNotMatch(without.stderr, /crash|exited unexpectedly|\n\s+at /);

  const withCc = await npx(['inspect', join(installed, 'prebuilt', `linux-${process.arch}`, 'plugins', 'cc-v2-defer.so')], true);
  assert.equal(withCc.code, 0, withCc.stderr);
  assert.match(withCc.stdout, /CLIENT_CONNECT_V2/);
  assert.ok(existsSync(join(installed, 'build', 'native', 'libovph-runtime.so')), 'built into the package');
});
