// Shared test helpers: paths of built fixtures (make build), and small utilities for reading log entries.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PluginLogEntry } from '../src/protocol/logs.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// Each test file (its own process under node --test) gets a private TMPDIR, inherited by the workers and CLIs it
// starts: checks that "no temp dir is left behind" then see only this file's dirs, whatever runs alongside.
if (!process.env.OVPH_TEST_TMPDIR) {
  const privateTmp = mkdtempSync(join(tmpdir(), 'ovph-test-tmp-'));
  process.env.TMPDIR = privateTmp;
  process.env.OVPH_TEST_TMPDIR = privateTmp;
  process.on('exit', () => rmSync(privateTmp, { recursive: true, force: true }));
}
const FIXTURES = join(ROOT, 'build', 'fixtures');
export const CLI = join(ROOT, 'dist', 'cli.cjs');

/** Path of a built fixture: NAME.so, or NAME as is when it has an extension or is abi-layout. Throws if not built. */
export function fixture(name: string): string {
  const file = join(FIXTURES, /\.|abi-layout/.test(name) ? name : `${name}.so`);
  if (!existsSync(file)) throw new Error(`${file} is not built: run 'make build' first`);
  return file;
}

/** The messages of log entries, for readable assertions. */
export function messages(logs: readonly PluginLogEntry[]): string[] {
  return logs.map((l) => l.message);
}

/** The first log entry whose message matches RE (assertion-friendly: throws with every message when absent). */
export function findLog(logs: readonly PluginLogEntry[], re: RegExp): PluginLogEntry {
  const hit = logs.find((l) => re.test(l.message));
  if (!hit) throw new Error(`no log line matches ${re}; got:\n  ${messages(logs).join('\n  ')}`);
  return hit;
}
