// A fresh project that installed the packed tarball (make pack), on a PATH with node and npm only: what the package
// tests run in, as a plugin author's repository would.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers.js';

export const exec = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
const TARBALL = join(ROOT, 'build', `ovpn-plugin-host-${pkg.version}.tgz`);

export interface InstalledProject {
  dir: string;
  /** The project folder. */
  project: string;
  /** node_modules/ovpn-plugin-host. */
  installed: string;
  /** A bin folder with node, npm and npx (and sh, rm, mkdir), no compiler and no make. */
  bareBin: string;
  /** The env a command in the project gets: PATH = bareBin (plus /usr/bin with withCc), a private cache. */
  env(withCc?: boolean): NodeJS.ProcessEnv;
  /** Run a program in the project; resolves with its exit code and output, whatever the code. */
  run(file: string, args: string[], withCc?: boolean): Promise<{ code: number; stdout: string; stderr: string }>;
  remove(): void;
}

/** Install the tarball (and EXTRA packages, e.g. a test runner) into a new project. */
export async function installedProject(extra: string[] = []): Promise<InstalledProject> {
  if (!existsSync(TARBALL)) throw new Error(`${TARBALL} is missing: make pack writes it (make test runs it first)`);
  const dir = mkdtempSync(join(tmpdir(), 'ovph-package-'));
  const bareBin = join(dir, 'bin');
  mkdirSync(bareBin);
  const nodeDir = dirname(process.execPath);
  for (const tool of ['node', 'npm', 'npx']) symlinkSync(join(nodeDir, tool), join(bareBin, tool));
  for (const tool of ['sh', 'rm', 'mkdir']) symlinkSync(`/bin/${tool}`, join(bareBin, tool));
  const project = join(dir, 'plugin-project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-plugin', private: true, type: 'module' }));
  const env = (withCc = false): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, PATH: withCc ? `${bareBin}:/usr/bin:/bin` : bareBin, XDG_CACHE_HOME: join(dir, 'cache') };
    delete e.NODE_TEST_CONTEXT;
    delete e.CC;
    return e;
  };
  const run = (file: string, args: string[], withCc = false) =>
    exec(file.includes('/') ? file : join(bareBin, file), args, { cwd: project, env: env(withCc) }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const install = await run('npm', [
    'install',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    '-D',
    TARBALL,
    `@types/node@${pkg.devDependencies['@types/node']}`,
    ...extra,
  ]);
  if (install.code !== 0) throw new Error(`npm install failed: ${install.stderr}`);
  return {
    dir,
    project,
    installed: join(project, 'node_modules', 'ovpn-plugin-host'),
    bareBin,
    env,
    run,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
