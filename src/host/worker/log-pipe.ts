// Parse the records the worker's runtime (runtime.c) writes into the log pipe, and split streams into lines. Pure.
import type { CrashFrame } from '../../protocol/failures.js';

export type PipeRecord =
  | { kind: 'log'; flags: number; pid: number; client: number; plugin: string; message: string }
  | { kind: 'mark'; mark: string }
  | { kind: 'hung'; plugin: number; type: number; timeoutMs: number }
  | { kind: 'crash'; plugin: number; type: number; signal: number; frames: CrashFrame[] }
  /** The worker could not set itself up (written by main.ts itself, before the runtime exists). */
  | { kind: 'setup-failed'; message: string }
  | { kind: 'garbage'; line: string };

function unescapeField(text: string): string {
  return text.replace(/\\([\\nt])/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
}

/** A crash record's frame field: "<hex offset> <symbol+0xoff or -> <module>" (undefined when it is not one). */
function parseFrame(field: string): CrashFrame | undefined {
  const m = /^0x([0-9a-f]+) (?:(-)|([^ ]+)\+0x([0-9a-f]+)) (.+)$/s.exec(unescapeField(field));
  if (!m) return undefined;
  const frame: CrashFrame = { module: m[5]!, offset: Number.parseInt(m[1]!, 16) };
  if (m[3] !== undefined) {
    frame.symbol = m[3];
    frame.symbolOffset = Number.parseInt(m[4]!, 16);
  }
  return frame;
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
      return {
        kind: 'crash',
        plugin: Number(f[1]),
        type: Number(f[2]),
        signal: Number(f[3]),
        frames: f.slice(4).flatMap((field) => parseFrame(field) ?? []),
      };
    case 'S':
      return { kind: 'setup-failed', message: unescapeField(f.slice(1).join('\t')) };
  }
  return { kind: 'garbage', line };
}

/** Longest line kept from a stream, in characters; the rest of a longer line is dropped and the line says so.
 * (A plugin_log record is at most about 20 KiB: OpenVPN's 10240-byte message, escaped.) */
const MAX_LINE_CHARS = 64 * 1024;

/** The note that ends a line cut at MAX characters, DROPPED characters later. */
export function cutNote(max: number, dropped: number): string {
  return ` [ovpn-plugin-host: line cut at ${max} characters, ${dropped} more not kept]`;
}

/** Splits a stream into lines, keeping the unfinished tail for the next chunk. Linear in the input, however long a
 * line is: the tail is kept as parts and joined once, and only its first MAX characters are kept. */
export class LineSplitter {
  private parts: string[] = [];
  private kept = 0;
  private dropped = 0;
  constructor(private readonly max = MAX_LINE_CHARS) {}

  push(chunk: string): string[] {
    const lines: string[] = [];
    let from = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', from)) {
      this.keep(chunk.slice(from, nl));
      lines.push(this.take());
      from = nl + 1;
    }
    if (from < chunk.length) this.keep(from === 0 ? chunk : chunk.slice(from));
    return lines;
  }

  flush(): string[] {
    return this.kept > 0 || this.dropped > 0 ? [this.take()] : [];
  }

  private keep(piece: string): void {
    const room = this.max - this.kept;
    if (piece.length <= room) {
      if (piece) this.parts.push(piece);
      this.kept += piece.length;
      return;
    }
    if (room > 0) this.parts.push(piece.slice(0, room));
    this.kept += Math.max(room, 0);
    this.dropped += piece.length - Math.max(room, 0);
  }

  private take(): string {
    const line = this.parts.join('') + (this.dropped > 0 ? cutNote(this.max, this.dropped) : '');
    this.parts = [];
    this.kept = 0;
    this.dropped = 0;
    return line;
  }
}
