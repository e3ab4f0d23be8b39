// Where the native runtime (runtime.c) for this machine is: a local build (make), the prebuilt one for this CPU
// shipped in the package, or one compiled from the shipped source with the system C compiler and cached. Without
// any of them: a setup error that says what to install.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { PACKAGE_ROOT } from '../../util/package-root.js';

/** The host cannot run on this machine as installed (not the plugin's fault); the message says what to do. */
export class SetupError extends Error {
  override name = 'SetupError';
}

const FILE = 'libovph-runtime.so';
const SOURCE = join(PACKAGE_ROOT, 'src', 'worker', 'native', 'runtime.c');
/** Where `make` builds it (a checkout of the project). */
const LOCAL_BUILD = join(PACKAGE_ROOT, 'build', 'native', FILE);
/** Shipped in the package for linux-x64 and linux-arm64 (glibc). */
const PREBUILT = join(PACKAGE_ROOT, 'prebuilt', `linux-${process.arch}`, FILE);

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** A build made here: in the package's build/native when it is writable, else in the user's cache. */
function buildTargets(): string[] {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return [LOCAL_BUILD, join(cache, 'ovpn-plugin-host', `${packageVersion()}-linux-${process.arch}`, FILE)];
}

/** The runtimes to try, in order: those that exist. */
export function runtimeCandidates(): string[] {
  return [...new Set([LOCAL_BUILD, PREBUILT, ...buildTargets()])].filter((p) => existsSync(p));
}

function writableDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Compile the runtime from the shipped source with $CC (default cc); returns where it is. TRIED says which
 * runtimes could not be used, for the error when there is no compiler either. */
export function buildRuntime(tried: readonly string[] = []): string {
  const target = buildTargets().find((t) => writableDir(dirname(t)));
  const cc = process.env.CC || 'cc';
  const why = tried.length ? ` (${tried.join('; ')})` : ` (no prebuilt runtime for linux-${process.arch} in the package)`;
  if (!target) throw new SetupError(`no usable native runtime${why}, and no writable place to build one`);
  if (!existsSync(SOURCE)) throw new SetupError(`no usable native runtime${why}, and its source ${SOURCE} is missing: reinstall the package`);
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    execFileSync(cc, ['-O2', '-fPIC', '-shared', '-o', tmp, SOURCE, '-lpthread'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') {
      throw new SetupError(
        `no usable native runtime${why}, and no C compiler (${cc}) to build one: install one (Debian/Ubuntu: apt-get install gcc) and run again`,
      );
    }
    const first = (e.stderr?.toString() ?? e.message).trim().split('\n')[0];
    throw new SetupError(`no usable native runtime${why}, and building one with ${cc} failed: ${first}`);
  }
  renameSync(tmp, target);
  return target;
}
