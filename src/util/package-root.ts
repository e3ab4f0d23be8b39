// Where the package's own files are (built native runtime, bundled assets), from src/ under tsx or dist/ after tsc.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('ovpn-plugin-host: cannot find the package root (no package.json above ' + import.meta.url + ')');
    dir = up;
  }
}

export const PACKAGE_ROOT = findPackageRoot();
export const RUNTIME_LIBRARY = join(PACKAGE_ROOT, 'build', 'native', 'libovph-runtime.so');
/** Where Debian's openvpn looks for plugins given by a bare name (PLUGIN_LIBDIR). */
export const PLUGIN_LIBDIR = '/usr/lib/x86_64-linux-gnu/openvpn/plugins';
/** True when this module runs from TypeScript sources (tsx), false from the compiled dist/. */
export const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');
