// A plugin's memory errors and leaks from valgrind's events, each told with the plugin call that made it. Only what
// has a frame in one of the plugins counts (Node, V8 and koffi have their own findings, which are not the plugin's);
// a leak valgrind reports again at exit is counted once, against the call that made it. Pure.
import { hookName } from '../../openvpn/constants.js';
import { PSEUDO_CALL_NAMES } from '../../protocol/constants.js';
import type { Frame, ValgrindEvent } from './valgrind-xml.js';

/** The plugin call a finding happened in. */
export interface MemcheckCall {
  /** The plugin's path, as given. */
  plugin: string;
  /** Hook name, or open/close/client_constructor/client_destructor/... */
  call: string;
  /** The client (host.client() order, from 0) whose call it was, when it was a client's. */
  client?: number;
}

export interface MemcheckFinding {
  /** valgrind's kind: InvalidRead, InvalidWrite, InvalidFree, MismatchedFree, UninitCondition, Leak_DefinitelyLost, ... */
  kind: string;
  /** valgrind's words: "Invalid read of size 1", "76 bytes in 1 blocks are definitely lost ...". */
  what: string;
  /** The call it happened in; for a leak, the call after which it was found lost. Undefined: outside every plugin
   * call (a plugin's own thread), or a leak first found at exit (after close). */
  during?: MemcheckCall;
  /** 'exit': a leak first found when the worker exited, after close (memory kept from open to the end). */
  when: 'call' | 'outside-call' | 'exit';
  /** The innermost frame in the plugin, "fn (file.c:line)". */
  where: string;
  /** The stack, innermost first, down to the host's runtime: "fn (file.c:line) [object]". */
  stack: string[];
  /** For invalid accesses: where the block was allocated or freed ("Address ... is 0 bytes after a block of size 11
   * alloc'd", then its stack). */
  aux: Array<{ what: string; stack: string[] }>;
  /** Leaks: bytes lost (this call's, for a leak found after a call). */
  bytes?: number;
  /** How many times valgrind reported this error in this call (errors that differ only below the host's runtime,
   * e.g. in koffi's frames, are one finding). */
  count: number;
}

export interface MemcheckReport {
  tool: 'valgrind';
  /** No finding in any plugin. */
  clean: boolean;
  findings: MemcheckFinding[];
  /** Bytes leaked per plugin call, in the order the calls leaked. */
  leaks: Array<{ during?: MemcheckCall; when: MemcheckFinding['when']; bytes: number }>;
  /** Errors valgrind found outside the plugins (Node, V8, koffi), not shown as the plugin's. */
  ignored: number;
}

const LEAK = /^Leak_/;

function frameText(f: Frame): string {
  const at = f.file ? ` (${f.file}${f.line !== undefined ? `:${f.line}` : ''})` : '';
  const obj = f.obj ? ` [${f.obj.split('/').pop()}]` : '';
  return `${f.fn ?? '??'}${at}${obj}`;
}

/** The stack as text, innermost first, cut at the host's runtime frame that called the plugin (below it is the host,
 * not the plugin); runtime frames above the plugin's (its plugin_log callback, say) are kept. */
function stackText(frames: Frame[], isPlugin: (f: Frame) => boolean): string[] {
  const own = frames.findIndex(isPlugin);
  const end = frames.findIndex((f, i) => i > own && f.obj?.includes('libovph-runtime'));
  return (end >= 0 ? frames.slice(0, end + 1) : frames).map(frameText);
}

/** Build the report. PLUGINS are the chain's files (resolved paths, as valgrind names objects) and the paths as
 * given, in chain order. */
export function memcheckReport(events: readonly ValgrindEvent[], plugins: ReadonlyArray<{ file: string; path: string }>): MemcheckReport {
  const isPlugin = (f: Frame) => f.obj !== undefined && plugins.some((p) => p.file === f.obj);
  let current: MemcheckCall | undefined;
  const findings: MemcheckFinding[] = [];
  const seenLeaks = new Set<string>();
  /** Findings other than leaks by what is shown of them: a repeat in the same call is counted, not listed again. */
  const shown = new Map<string, MemcheckFinding>();
  let ignored = 0;
  for (const e of events) {
    if (e.type === 'message') {
      const call = /^ovph-call (-?\d+) (-?\d+) (-?\d+)/.exec(e.text);
      if (call) {
        const [id, type, client] = [Number(call[1]), Number(call[2]), Number(call[3])];
        current = {
          plugin: plugins[id]?.path ?? `plugin #${id}`,
          call: type >= 0 ? hookName(type) : (PSEUDO_CALL_NAMES[type] ?? `call ${type}`),
          ...(client >= 0 ? { client } : {}),
        };
      } else if (/^ovph-done /.test(e.text)) {
        current = undefined;
      }
      continue;
    }
    // an indirect leak is part of the definite one that holds its pointer (valgrind counts its bytes there too)
    if (e.kind === 'Leak_IndirectlyLost') continue;
    const own = e.stack.find(isPlugin) ?? e.aux.flatMap((a) => a.stack).find(isPlugin);
    if (!own) {
      ignored++;
      continue;
    }
    const stack = stackText(e.stack, isPlugin);
    const leak = LEAK.test(e.kind);
    if (leak) {
      const key = `${e.kind}\n${stack.join('\n')}`;
      const added = e.addedBytes ?? e.bytes ?? 0;
      // at exit valgrind lists every leak again: only what no call's check found counts, as "exit"
      if (seenLeaks.has(key) && (current === undefined || added === 0)) continue;
      seenLeaks.add(key);
      if (added === 0) continue;
    }
    const when: MemcheckFinding['when'] = current ? 'call' : leak ? 'exit' : 'outside-call';
    const aux = e.aux.map((a) => ({ what: a.what, stack: stackText(a.stack, isPlugin) }));
    const key = JSON.stringify([e.kind, e.what, current, stack, aux]);
    const again = leak ? undefined : shown.get(key);
    if (again) {
      again.count++;
      continue;
    }
    const finding: MemcheckFinding = {
      kind: e.kind,
      what: e.what,
      ...(current ? { during: current } : {}),
      when,
      where: frameText({ ...own, obj: undefined }),
      stack,
      aux,
      ...(leak ? { bytes: e.addedBytes ?? e.bytes ?? 0 } : {}),
      count: 1,
    };
    findings.push(finding);
    if (!leak) shown.set(key, finding);
  }
  const leaks = findings.filter((f) => f.bytes !== undefined).map((f) => ({ ...(f.during ? { during: f.during } : {}), when: f.when, bytes: f.bytes! }));
  return { tool: 'valgrind', clean: findings.length === 0, findings, leaks, ignored };
}
