// The files OpenVPN creates around a hook call (client-connect config/result, auth control files): empty, 0600, in a private temp dir.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readRegularFile } from '../util/safe-read.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HookName } from '../openvpn/constants.js';

/** Env variables naming a file OpenVPN creates (empty) before the call and reads after it. */
const HOOK_FILE_KEYS = [
  'client_connect_config_file',
  'client_connect_deferred_file',
  'auth_control_file',
  'auth_pending_file',
  'auth_failed_reason_file',
] as const;
export type HookFileKey = (typeof HOOK_FILE_KEYS)[number];

/** The files OpenVPN creates (empty, 0600) right before calling HOOK. Other hooks may still see these names in their
 * env, stale: OpenVPN deleted the files after the call that needed them. */
export function filesCreatedFor(hook: HookName): readonly HookFileKey[] {
  switch (hook) {
    case 'AUTH_USER_PASS_VERIFY':
      return ['auth_control_file', 'auth_pending_file', 'auth_failed_reason_file'];
    case 'CLIENT_CONNECT':
    case 'CLIENT_CONNECT_DEFER':
      return ['client_connect_config_file', 'client_connect_deferred_file'];
    default:
      return [];
  }
}

export interface HookFileReport {
  /** The env variable that names the file. */
  name: string;
  path: string;
  /** The file's content after the call, or null when the plugin removed it. */
  content: string | null;
}

/** A private (0700) temp dir holding one run's hook files; remove() deletes it and everything in it. */
export class HookFiles {
  private readonly files = new Map<string, string>();
  private removed = false;

  private constructor(readonly dir: string) {}

  static create(prefix = 'ovpn-plugin-host-'): HookFiles {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    chmodSync(dir, 0o700);
    return new HookFiles(dir);
  }

  /** Create (once) the empty 0600 file for env variable NAME, at PATH (inside the dir) or <dir>/<NAME>; returns its path. */
  add(name: string, path = join(this.dir, name)): string {
    const existing = this.files.get(name);
    if (existing) return existing;
    if (dirname(path) !== this.dir) throw new Error(`${path} is not inside ${this.dir}`);
    writeFileSync(path, '', { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    this.files.set(name, path);
    return path;
  }

  /** Each file's content now (null when gone), in creation order. */
  report(): HookFileReport[] {
    return [...this.files].map(([name, path]) => {
      // Never block on a FIFO a plugin put in place, and read regular files only.
      const r = readRegularFile(path);
      const content = r.kind === 'text' ? r.text : r.kind === 'missing' ? null : `<${r.what}, not read>`;
      return { name, path, content };
    });
  }

  /** Delete the dir and its files (synchronous, so it also works from a signal handler). Idempotent. */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
