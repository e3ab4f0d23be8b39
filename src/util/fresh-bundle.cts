// Whether a bundle may run instead of the compiled modules it was built from. In a checkout, a `tsc` run without the
// bundle step must not leave the CLI or the worker running yesterday's code, so the bundle must not be older than
// them. An installed package is never compiled again, and npm unpacks its files with the time of unpacking, in no
// useful order: there the bundle is always right.
import { existsSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

/** True when BUNDLE exists and either this is an installed package or BUNDLE is not older than SOURCE (the compiled
 * module under `<root>/dist/` it was built from). A checkout is where the sources are compiled: tsconfig.json at
 * its root. */
export function isFreshBundle(bundle: string, source: string): boolean {
  let built: number;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return false; // no bundle
  }
  const dist = source.lastIndexOf(`${sep}dist${sep}`);
  if (dist >= 0 && !existsSync(join(source.slice(0, dist), 'tsconfig.json'))) return true; // an installed package
  try {
    return built >= statSync(source).mtimeMs;
  } catch {
    return true; // no compiled module: the bundle is all there is
  }
}
