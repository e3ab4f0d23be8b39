// The memcheck report of a worker that ran under valgrind: its XML file read once the worker exited, with the chain's
// plugin files resolved as valgrind names them.
import { readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { memcheckReport, type MemcheckReport } from './report.js';
import { parseValgrindXml } from './valgrind-xml.js';

/** The plugin's real path (valgrind's <obj>), or its path resolved when it cannot be followed. */
function realFile(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}

/** The report from XML_FILE (written by valgrind until the worker exited) for PLUGINS, in chain order, as given;
 * undefined when valgrind wrote nothing (it did not start). */
export function collectMemcheck(xmlFile: string, plugins: ReadonlyArray<{ path: string; file?: string }>): MemcheckReport | undefined {
  let xml: string;
  try {
    xml = readFileSync(xmlFile, 'utf8');
  } catch {
    return undefined;
  }
  return memcheckReport(
    parseValgrindXml(xml),
    plugins.map((p) => ({ file: realFile(p.file ?? p.path), path: p.path })),
  );
}
