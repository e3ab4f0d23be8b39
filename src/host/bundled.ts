// The demo plugins the package ships (prebuilt for this CPU), for the demo command and for users' own test chains.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../util/package-root.js';

/** Each bundled plugin and what it does (its arguments are key=value). */
export const BUNDLED_PLUGINS = {
  'auth-defer':
    'defers AUTH_USER_PASS_VERIFY; a forked helper checks the password and writes auth_control_file ' + '(delay_ms=N, user=foo, pass=bar, reason=TEXT)',
  'cc-v2-defer': 'defers CLIENT_CONNECT_V2 and decides in CLIENT_CONNECT_DEFER_V2 after some polls (polls=3, result=success|fail|disable)',
  'cc-v1-file': 'defers CLIENT_CONNECT through client_connect_deferred_file, written by a forked helper (delay_ms=N, byte=1|0)',
} as const;

export type BundledPluginName = keyof typeof BUNDLED_PLUGINS;

/** The path of a bundled plugin: the package's prebuilt one for this CPU, or (in a checkout) the one make built. */
export function bundledPlugin(name: BundledPluginName): string {
  const candidates = [join(PACKAGE_ROOT, 'prebuilt', `linux-${process.arch}`, 'plugins', `${name}.so`), join(PACKAGE_ROOT, 'build', 'fixtures', `${name}.so`)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`the bundled plugin ${name} is not available for linux-${process.arch} (looked in ${candidates.join(', ')})`);
  return found;
}
