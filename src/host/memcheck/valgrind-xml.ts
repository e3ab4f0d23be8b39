// Read valgrind's --xml output: its errors (with their stacks, and for leaks the bytes lost) and the client messages
// the runtime writes around every plugin call, in the order valgrind wrote them. Pure.

export interface Frame {
  obj?: string;
  fn?: string;
  file?: string;
  line?: number;
}

export type ValgrindEvent =
  | { type: 'message'; text: string }
  | {
      type: 'error';
      /** valgrind's kind: InvalidRead, InvalidWrite, InvalidFree, MismatchedFree, UninitCondition, UninitValue,
       * SyscallParam, Overlap, Leak_DefinitelyLost, Leak_IndirectlyLost, ... */
      kind: string;
      /** "Invalid read of size 1", or a leak's "76 (+76) ... bytes in 1 (+1) blocks are definitely lost ...". */
      what: string;
      stack: Frame[];
      /** What valgrind adds: "Address 0x.. is 0 bytes after a block of size 11 alloc'd", with that block's stack. */
      aux: Array<{ what: string; stack: Frame[] }>;
      /** Leaks: bytes and blocks lost in all, and those added since the previous leak check (the "(+N)"). */
      bytes?: number;
      addedBytes?: number;
      blocks?: number;
    };

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1))) : ENTITIES[e]!,
  );
}

/** The text of the first <tag> in XML (decoded), if any. */
function field(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m ? decode(m[1]!.trim()) : undefined;
}

function frames(stackXml: string): Frame[] {
  const out: Frame[] = [];
  for (const m of stackXml.matchAll(/<frame>([\s\S]*?)<\/frame>/g)) {
    const f = m[1]!;
    const line = field(f, 'line');
    out.push({ obj: field(f, 'obj'), fn: field(f, 'fn'), file: field(f, 'file'), ...(line !== undefined ? { line: Number(line) } : {}) });
  }
  return out;
}

function parseError(xml: string): ValgrindEvent {
  // the main stack comes first; each <auxwhat> may be followed by the stack it describes
  const parts = xml.split(/(?=<auxwhat>)/);
  const head = parts[0]!;
  const xwhat = /<xwhat>([\s\S]*?)<\/xwhat>/.exec(head)?.[1];
  const what = field(head, 'what') ?? (xwhat === undefined ? undefined : field(xwhat, 'text')) ?? '';
  const leaked = field(head, 'leakedbytes');
  const blocks = field(head, 'leakedblocks');
  const added = /^[\d,]+ \(\+([\d,]+)\)/.exec(what);
  return {
    type: 'error',
    kind: field(head, 'kind') ?? 'unknown',
    what,
    stack: frames(/<stack>([\s\S]*?)<\/stack>/.exec(head)?.[1] ?? ''),
    aux: parts.slice(1).map((p) => ({ what: field(p, 'auxwhat') ?? '', stack: frames(/<stack>([\s\S]*?)<\/stack>/.exec(p)?.[1] ?? '') })),
    ...(leaked !== undefined ? { bytes: Number(leaked) } : {}),
    ...(added ? { addedBytes: Number(added[1]!.replace(/,/g, '')) } : {}),
    ...(blocks !== undefined ? { blocks: Number(blocks) } : {}),
  };
}

/** The errors and client messages of a valgrind XML file, in order (a file cut short by a crash is read as far as
 * it goes). */
export function parseValgrindXml(xml: string): ValgrindEvent[] {
  const out: ValgrindEvent[] = [];
  for (const m of xml.matchAll(/<error>([\s\S]*?)<\/error>|<clientmsg>([\s\S]*?)<\/clientmsg>/g)) {
    if (m[1] !== undefined) out.push(parseError(m[1]));
    else out.push({ type: 'message', text: field(m[2]!, 'text') ?? '' });
  }
  return out;
}
