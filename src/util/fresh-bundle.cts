// Whether a bundle built from compiled modules is at least as new as them: a `tsc` run without the bundle step must
// not leave the CLI or the worker running yesterday's code (an installed package has equal times: it is fresh).
import { statSync } from 'node:fs';

/** True when BUNDLE exists and is not older than SOURCE (the compiled module it was built from). */
export function isFreshBundle(bundle: string, source: string): boolean {
  try {
    return statSync(bundle).mtimeMs >= statSync(source).mtimeMs;
  } catch {
    return false; // no bundle (or no compiled module: then the bundle is all there is)
  }
}
