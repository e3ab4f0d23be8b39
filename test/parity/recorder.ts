// Reads what native-fixtures/recorder.c wrote: one line per call, "<HOOK>\t<argc>\t<argv[1..] joined by ,>\t<env keys joined by ,>"
// for hook calls and OPEN, and a bare tag for CONSTRUCTOR, DESTRUCTOR and CLOSE.
import { readFileSync } from 'node:fs';

export interface Recorded {
  /** OPEN, CONSTRUCTOR, DESTRUCTOR, CLOSE, or a hook name (TLS_VERIFY, CLIENT_CONNECT_V2, ...). */
  hook: string;
  argc?: number;
  /** argv[1..] joined by ',' exactly as recorded (an argument may itself contain commas). */
  argv?: string;
  /** Env var names in envp order. */
  env?: string[];
}

export function parseRecorder(text: string): Recorded[] {
  const out: Recorded[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split('\t');
    if (f.length === 1) { out.push({ hook: f[0]! }); continue; }
    out.push({ hook: f[0]!, argc: Number(f[1]), argv: f[2] ?? '', env: (f[3] ?? '') === '' ? [] : f[3]!.split(',') });
  }
  return out;
}

export function readRecorder(path: string): Recorded[] {
  let text = '';
  try { text = readFileSync(path, 'utf8'); } catch { /* never written: no call recorded */ }
  return parseRecorder(text);
}

/** One line per call, for reports. */
export function describe(r: Recorded): string {
  return r.argc === undefined ? r.hook : `${r.hook}(${r.argv ?? ''})`;
}
