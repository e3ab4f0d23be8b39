// The --memcheck option of connect, load, run and fuzz, and the memcheck report as text.
import type { Command } from 'commander';
import type { MemcheckCall, MemcheckFinding, MemcheckReport } from '../host/memcheck/report.js';
import { DEFAULT_CALL_TIMEOUT_MS } from '../host/limits.js';

export const MEMCHECK_HELP =
  "run the plugins under valgrind's memcheck (20-50x slower; needs valgrind): invalid reads/writes, use after free, bad frees and leaks, each with the plugin call that made it (exit 6 when there are any)";

/** Add --memcheck to CMD. */
export function addMemcheckOption(cmd: Command): Command {
  return cmd.option('--memcheck', MEMCHECK_HELP);
}

/** The call timeout to ask for: under memcheck, the library's longer default unless --call-timeout was given. */
export function callTimeoutOption(cmd: Command, callTimeout: number, memcheck: boolean | undefined): number | undefined {
  if (memcheck && cmd.getOptionValueSource('callTimeout') === 'default' && callTimeout === DEFAULT_CALL_TIMEOUT_MS) return undefined;
  return callTimeout;
}

/** "CLIENT_CONNECT_V2 of build/x.so, client #1" (clients counted from 1, in the order they were made). */
function callText(c: MemcheckCall | undefined, when: MemcheckFinding['when']): string {
  if (!c)
    return when === 'exit' ? 'found at exit, after close (kept from open to the end, or lost in close)' : 'outside every plugin call (a thread of the plugin)';
  return `${c.call} of ${c.plugin}${c.client !== undefined ? `, client #${c.client + 1}` : ''}`;
}

/** The innermost plugin frame of an aux stack ("at ..."), else its first frame. */
function auxWhere(stack: readonly string[]): string | undefined {
  return stack.find((f) => !/\[(vgpreload_|libc\.so|ld-linux)/.test(f)) ?? stack[0];
}

/** The report: one block per finding (kind, what, the call, where, valgrind's aux lines), then the clean line or a
 * total. */
export function formatMemcheck(r: MemcheckReport): string[] {
  const ignored = `${r.ignored} finding${r.ignored === 1 ? '' : 's'} in Node/V8/koffi ignored`;
  if (r.clean) return [`memcheck: clean (${ignored})`];
  const lines = [`memcheck: ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'} in the plugin (${ignored}):`];
  for (const f of r.findings) {
    const bytes =
      f.bytes !== undefined ? `: ${f.bytes} bytes leaked${f.when === 'call' ? ' by this call' : ''}` : `: ${f.what}${f.count > 1 ? ` (${f.count} times)` : ''}`;
    lines.push(`  ${f.kind} during ${callText(f.during, f.when)}${bytes}`, `    at ${f.where}`);
    // the plugin handed the bad memory to the host (its plugin_log callback, say), which touched it
    const own = f.stack.findIndex((s) => s.startsWith(f.where));
    const host = f.stack.slice(0, Math.max(own, 0)).filter((s) => s.includes('[libovph-runtime'));
    if (host.length) lines.push(`    through the host's ${host.map((s) => s.replace(/ \[.*\]$/, '')).join(' < ')}, called by the plugin`);
    if (f.bytes !== undefined) lines.push(`    ${f.what}`);
    for (const a of f.aux) {
      const at = auxWhere(a.stack);
      lines.push(`    ${a.what}${at ? (a.what.endsWith(' at') ? ` ${at}` : `, at ${at}`) : ''}`);
    }
  }
  const leaked = r.leaks.reduce((n, l) => n + l.bytes, 0);
  if (r.leaks.length) lines.push(`  leaked: ${leaked} bytes in ${r.leaks.length} call${r.leaks.length === 1 ? '' : 's'}`);
  return lines;
}
