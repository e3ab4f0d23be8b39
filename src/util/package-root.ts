// Where the package's own files are (built native runtime, bundled assets): this module is src/util/ under tsx or
// dist/util/ after tsc, two levels below the package root either way.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = dirname(fileURLToPath(new URL('../../package.json', import.meta.url)));
/** True when this module runs from TypeScript sources (tsx), false from the compiled dist/. */
export const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');
