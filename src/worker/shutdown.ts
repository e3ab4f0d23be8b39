// The worker's last act when its IPC channel closes (the caller stopped it, or died: SIGKILL, process.exit, an
// uncaught exception): close the plugins, end every process they started, remove the caller's temp dirs, exit.
// Nothing may outlive a caller that can no longer clean up after itself.
import { basename } from 'node:path';
import { rmSync } from 'node:fs';
import type { RequestMessage } from '../protocol/messages.js';
import { killProcesses } from '../util/process-scan.js';
import { othersOfWorker } from './left-running.js';

/** The prefix of the host's temp dirs (src/host: mkdtemp in the OS temp dir): only those are ever removed here. */
const TMP_PREFIX = 'ovpn-plugin-host-';

const tmpDirs = new Set<string>();

/** Remember the temp dir a request names (the caller's, for a client's hook files): removed if the caller dies. */
export function rememberTmpDir(msg: RequestMessage): void {
  const dir = msg.op === 'client-new' ? msg.setup.tmpDir : msg.op === 'client-connect' ? msg.tmpDir : undefined;
  if (dir && basename(dir).startsWith(TMP_PREFIX)) tmpDirs.add(dir);
}

/** End every other process of this worker: those carrying its mark, the other members of its process group (it
 * leads one), and its descendants (orphans of its plugins' children are its own: src/worker/process-control.ts), so
 * that a daemon that dropped its environment and left the group is found too. */
function endOthers(): void {
  const others = othersOfWorker();
  if (others) killProcesses(others);
}

/** CLOSE_PLUGINS (as a server shutdown would), end the rest, remove the remembered temp dirs, and exit. */
export function shutDown(closePlugins: () => void): never {
  try {
    closePlugins();
  } finally {
    endOthers();
    for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }
}
