// Parse the records the worker's runtime (runtime.c) writes into the log pipe, and split streams into lines. Pure.

export type PipeRecord =
  | { kind: 'log'; flags: number; pid: number; client: number; plugin: string; message: string }
  | { kind: 'mark'; mark: string }
  | { kind: 'hung'; plugin: number; type: number; timeoutMs: number }
  | { kind: 'crash'; plugin: number; type: number; signal: number }
  | { kind: 'garbage'; line: string };

function unescapeField(text: string): string {
  return text.replace(/\\([\\nt])/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
}

export function parseRecord(line: string): PipeRecord {
  const f = line.split('\t');
  switch (f[0]) {
    case 'L':
      if (f.length >= 6) {
        return {
          kind: 'log',
          flags: Number(f[1]),
          pid: Number(f[2]),
          client: Number(f[3]),
          plugin: unescapeField(f[4]),
          message: unescapeField(f.slice(5).join('\t')),
        };
      }
      break;
    case 'M':
      return { kind: 'mark', mark: unescapeField(f.slice(1).join('\t')) };
    case 'H':
      return { kind: 'hung', plugin: Number(f[1]), type: Number(f[2]), timeoutMs: Number(f[3]) };
    case 'X':
      return { kind: 'crash', plugin: Number(f[1]), type: Number(f[2]), signal: Number(f[3]) };
  }
  return { kind: 'garbage', line };
}

/** Splits a byte stream into lines, keeping the unfinished tail for the next chunk. */
export class LineSplitter {
  private tail = '';
  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const lines = text.split('\n');
    this.tail = lines.pop() ?? '';
    return lines;
  }
  flush(): string[] {
    const t = this.tail;
    this.tail = '';
    return t ? [t] : [];
  }
}
