// Human-readable formatting of the CLI's results: plugin facts, hook results, files, failures and log lines. Pure: returns lines.
import { HOOKS, INIT_POINT_NAMES, type HookName } from '../openvpn/constants.js';
import type { InspectFailure, InspectOk } from '../host/inspect.js';
import type { HookFileReport } from '../host/hook-files.js';
import type { RawCallReturned, RawCallStep } from '../host/raw-call.js';
import type { ReturnListNode } from '../openvpn/return-list.js';
import type { FailureOutcome } from '../protocol/failures.js';
import type { PluginLogEntry } from '../protocol/logs.js';
import type { PluginInfo } from '../protocol/messages.js';

const LABEL_WIDTH = 12;

/** Append ITEMS to LINES one by one: push(...items) overflows the call stack for a few hundred thousand items. */
export function append(lines: string[], items: Iterable<string>): void {
  for (const item of items) lines.push(item);
}

/** "label       value" with the label padded to a fixed width. */
function row(label: string, value: string): string {
  return `${label.padEnd(LABEL_WIDTH)} ${value}`;
}

/** ITEMS joined by ", ", wrapped so no line passes WIDTH characters; continuation lines align under the value column. */
function wrapList(items: readonly string[], width = 110): string {
  const lines: string[] = [];
  let cur = '';
  for (const [i, item] of items.entries()) {
    const piece = item + (i < items.length - 1 ? ',' : '');
    if (cur && LABEL_WIDTH + 1 + cur.length + 1 + piece.length > width) {
      lines.push(cur);
      cur = piece;
    } else {
      cur = cur ? `${cur} ${piece}` : piece;
    }
  }
  if (cur) lines.push(cur);
  return lines.join(`\n${' '.repeat(LABEL_WIDTH + 1)}`);
}

function hexMask(mask: number): string {
  return `0x${(mask >>> 0).toString(16).padStart(4, '0')}`;
}

/** A string shown unambiguously: JSON-quoted (newlines visible), or (null) for a NULL pointer. */
function quote(value: string | null): string {
  return value === null ? '(null)' : JSON.stringify(value);
}

/** One log line: level, plugin name, message; the pid when the log holds lines from several processes. */
export function formatLogLine(e: PluginLogEntry, showPid = false): string {
  const pid = showPid ? ` (pid ${e.pid})` : '';
  return `  ${`[${e.level}]`.padEnd(9)}${e.plugin}: ${e.message}${pid}`;
}

function formatLogs(logs: readonly PluginLogEntry[]): string[] {
  if (logs.length === 0) return [row('log', '(the plugin logged nothing)')];
  const showPid = new Set(logs.map((l) => l.pid)).size > 1;
  return [row('log', `${logs.length} line${logs.length === 1 ? '' : 's'}`), ...logs.map((l) => formatLogLine(l, showPid))];
}

/** What was learned about one plugin at load and open. */
/** OPEN_FAILED: open returned no handle, so the mask is still the one the host offered, not what the plugin wants. */
function formatPluginInfo(info: PluginInfo, openFailed = false): string[] {
  const lines = [row('file', info.file === info.path ? info.file : `${info.file} (given as ${info.path})`)];
  lines.push(row('argv', [info.path, ...info.args].map((a) => (/[\s"']/.test(a) || a === '' ? JSON.stringify(a) : a)).join(' ')));
  lines.push(row('exports', wrapList(info.exported)));
  lines.push(
    row(
      'ABI',
      `open v${info.openVersion} (openvpn_plugin_open_v${info.openVersion}), func v${info.funcVersion} `
        + `(openvpn_plugin_func_v${info.funcVersion}); each chosen on its own, v3 then v2 then v1, as OpenVPN does`,
    ),
  );
  lines.push(
    row(
      'min version',
      info.minVersionRequired === null
        ? 'openvpn_plugin_min_version_required_v1 not exported'
        : `${info.minVersionRequired} (openvpn_plugin_min_version_required_v1; OpenVPN 2.6 provides 3)`,
    ),
  );
  const initName = INIT_POINT_NAMES[info.initPoint] ?? 'unknown';
  lines.push(
    row(
      'init point',
      info.exported.includes('openvpn_plugin_select_initialization_point_v1')
        ? `${info.initPoint} ${initName} (openvpn_plugin_select_initialization_point_v1)`
        : `${info.initPoint} ${initName} (default: openvpn_plugin_select_initialization_point_v1 not exported)`,
    ),
  );
  lines.push(
    row(
      'hooks',
      openFailed
        ? 'none: open failed before the plugin registered any'
        : info.hooks.length
          ? `${hexMask(info.typeMask)} ${info.hooks.join(', ')}`
          : `${hexMask(info.typeMask)} (none)`,
    ),
  );
  return lines;
}

export function formatInspect(r: InspectOk): string[] {
  return [...formatPluginInfo(r.plugin), ...formatLogs(r.logs), row('closed', 'openvpn_plugin_close_v1 returned; the plugin was closed cleanly')];
}

/** The one line for stderr that says why a run failed (the library's message names the file and the cause). */
export function failureLine(f: FailureOutcome): string {
  if (f.outcome === 'load-error' && f.error.kind === 'internal') {
    // a bug of the host's, not the plugin's: one line here; the worker's stack stays in --json for a bug report
    return `internal error in ovpn-plugin-host (please report it, with the --json output): ${f.error.message.split('\n')[0]}`;
  }
  if (f.outcome === 'load-error') return f.error.message;
  // A call that overran the timeout (not a worker that stopped answering for another reason): say what to change.
  if (f.outcome === 'hung' && f.message.startsWith('the plugin did not return within')) {
    return `${f.message} (raise --call-timeout if the call is legitimately slow)`;
  }
  return f.message;
}

/** Details of a failure for stderr: what is known about the plugin, then its log. Nothing when nothing is known
 * (a missing file, not an ELF, ...), so a user mistake stays one line. */
export function formatFailureDetails(f: InspectFailure): string[] {
  const info = f.plugins?.[0];
  if (!info && f.logs.length === 0) return [];
  const lines: string[] = [];
  if (f.outcome === 'load-error') lines.push(row('error kind', f.error.kind));
  if (info) append(lines, formatPluginInfo(info, f.outcome === 'load-error' && f.error.kind === 'open-failed'));
  append(lines, formatLogs(f.logs));
  return lines;
}

function formatNodes(list: ReturnListNode[] | null): string[] {
  if (list === null) return ['    (no return list)'];
  if (list.length === 0) return ['    (empty)'];
  return list.map((n) => `    ${n.name === null ? '(null)' : n.name} = ${quote(n.value)}`);
}

function formatFiles(files: readonly HookFileReport[]): string[] {
  if (files.length === 0) return [];
  return [
    row('files', 'created empty (0600) before the call, as OpenVPN does; content after the call:'),
    ...files.map((f) => `  ${f.name} ${f.path}: ${f.content === null ? '(removed by the plugin)' : f.content === '' ? '(empty)' : quote(f.content)}`),
  ];
}

export function formatCall(r: RawCallReturned, plugin?: PluginInfo): string[] {
  const lines = formatCallStep(r, plugin);
  for (const step of r.next ?? []) {
    lines.push('');
    append(lines, formatCallStep(step, plugin));
  }
  append(lines, formatLogs(r.logs));
  return lines;
}

/** One hook of a raw call: its argv, env, result, return lists, config and files. */
function formatCallStep(r: RawCallStep, plugin?: PluginInfo): string[] {
  const lines = [row('hook', `${r.hook} (${HOOKS[r.hook as HookName]})`)];
  lines.push(row('argv', r.argv.map((a) => (/[\s"']/.test(a) || a === '' ? JSON.stringify(a) : a)).join(' ')));
  lines.push(row('env', `${r.env.length} variables (--json shows them)`));
  if (r.note) lines.push(row('note', r.note));
  if (r.notRegistered) {
    const mask = plugin ? ` (it registered ${hexMask(plugin.typeMask)}: ${plugin.hooks.join(', ') || 'nothing'})` : '';
    lines.push(row('result', `not registered: the plugin did not register ${r.hook}${mask}; OpenVPN would not call it, so nothing was called`));
  } else {
    lines.push(row('result', `${r.returnName}${r.returnName === String(r.returnCode) ? ' (not 0/1/2: OpenVPN treats it as an error)' : ` (${r.returnCode})`}`));
    for (const c of r.calls) {
      const status = c.called ? `${c.returnName} (${c.returnCode}) in ${c.ms.toFixed(1)} ms` : 'not called (hook not registered)';
      lines.push(`  ${c.plugin}: ${status}`);
      if (c.called && c.returnList !== null) append(lines, ['  return list:', ...formatNodes(c.returnList)]);
    }
  }
  if (r.config !== null) {
    lines.push(row('config', 'the first "config" node, which OpenVPN would import as client config:'));
    append(
      lines,
      r.config
        .replace(/\n$/, '')
        .split('\n')
        .map((l) => `    ${l}`),
    );
  }
  append(lines, formatFiles(r.files));
  return lines;
}

/** Timed step lines ("  +12ms  text"), consecutive identical texts shown once with a count ("(x3)"). */
export function timedLines(steps: ReadonlyArray<{ t: number; text: string }>): string[] {
  const out: string[] = [];
  let last = '';
  let repeat = 0;
  const flush = () => {
    if (repeat > 1) out[out.length - 1] += `   (x${repeat})`;
  };
  for (const { t, text } of steps) {
    if (text === last) {
      repeat++;
      continue;
    }
    flush();
    out.push(`  ${`+${Math.round(t)}ms`.padStart(8)}  ${text}`);
    last = text;
    repeat = 1;
  }
  flush();
  return out;
}
