// How the worker is run under valgrind for memcheck: where valgrind is, and its options.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The valgrind executable on PATH, or undefined when it is not installed. */
export function findValgrind(path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, 'valgrind');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The one line a user sees when memcheck is asked for without valgrind. */
export const NO_VALGRIND = 'memcheck needs valgrind, which is not on PATH: install it (Debian: apt-get install valgrind)';

/** valgrind's options: memcheck, XML into XML_FILE, every leak check reporting definite and possible leaks with
 * their stacks. Not --max-stackframe: koffi switches stacks, and valgrind then breaks the worker. Children a plugin
 * forks run without valgrind's output (--child-silent-after-fork), so their exit does not write into the XML. */
export function valgrindArgs(xmlFile: string): string[] {
  return [
    '--tool=memcheck',
    '--xml=yes',
    `--xml-file=${xmlFile}`,
    '--leak-check=full',
    '--show-leak-kinds=definite,possible',
    '--errors-for-leak-kinds=definite,possible',
    '--num-callers=30',
    '--child-silent-after-fork=yes',
  ];
}
