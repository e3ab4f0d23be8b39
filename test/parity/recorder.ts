// Reads what native-fixtures/recorder.c wrote: one line per call, "<HOOK>\t<argc>\t<argv[1..] joined by ,>\t<env keys joined by ,>"
// for hook calls and OPEN, and a bare tag for CONSTRUCTOR, DESTRUCTOR and CLOSE.
// parity-ctx-recorder.c adds two fields to each line: the per-client context ("#N" in constructor order, #1 = the server's
// generic context; "-" for NULL) and "KEY=value;..." for the env vars named with tag=KEY,...; its CONSTRUCTOR and
// DESTRUCTOR lines are "<TAG>\t\t\t\t#N\t". The client-connect script of the suite (cc-script.sh) appends "SCRIPT" lines
// in the recorder format to the same file.
import { readFileSync } from 'node:fs';

export interface Recorded {
  /** OPEN, CONSTRUCTOR, DESTRUCTOR, CLOSE, SCRIPT, or a hook name (TLS_VERIFY, CLIENT_CONNECT_V2, ...). */
  hook: string;
  argc?: number;
  /** argv[1..] joined by ',' exactly as recorded (an argument may itself contain commas). */
  argv?: string;
  /** Env var names in envp order. */
  env?: string[];
  /** parity-ctx-recorder: the per-client context the call got ("#N"; "-" for NULL; undefined when not recorded). */
  ctx?: string;
  /** parity-ctx-recorder: the values of the tag=KEY env vars the call saw (absent keys are left out). */
  tags?: Record<string, string>;
}

function parseTags(field: string | undefined): Record<string, string> | undefined {
  if (field === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const kv of field.split(';')) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

export function parseRecorder(text: string): Recorded[] {
  const out: Recorded[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split('\t');
    if (f.length === 1) {
      out.push({ hook: f[0]! });
      continue;
    }
    const ctx = f[4] === undefined || f[4] === '' ? undefined : f[4];
    if (f[1] === '') {
      out.push({ hook: f[0]!, ...(ctx !== undefined ? { ctx } : {}) });
      continue;
    }
    const r: Recorded = { hook: f[0]!, argc: Number(f[1]), argv: f[2] ?? '', env: (f[3] ?? '') === '' ? [] : f[3]!.split(',') };
    if (ctx !== undefined) r.ctx = ctx;
    const tags = parseTags(f[5]);
    if (tags) r.tags = tags;
    out.push(r);
  }
  return out;
}

export function readRecorder(path: string): Recorded[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    /* never written: no call recorded */
  }
  return parseRecorder(text);
}

/** One line per call, for reports; "@#N" when the per-client context was recorded. */
export function describe(r: Recorded): string {
  const at = r.ctx !== undefined ? `@${r.ctx}` : '';
  return (r.argc === undefined ? r.hook : `${r.hook}(${r.argv ?? ''})`) + at;
}
