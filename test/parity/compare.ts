// Compares one real run with one host run: (1) outcome, (2) the plugin-provided part of the pushed config and the
// client address, (3) the order of hooks, (4) the env keys each hook saw. Returns readable differences (empty = parity).
import type { HostRun } from './host-side.js';
import type { RealRun } from './real-server.js';
import { describe, type Recorded } from './recorder.js';
import { normalize, OPENVPN_GENERATED_PUSH, SERVER_GENERATED_PUSH } from './differences.js';

export interface Comparison {
  /** One readable block per difference; empty when the two runs agree. */
  differences: string[];
  /** What was compared, for the report. */
  summary: {
    realOutcome: string;
    hostOutcome: string;
    realPushed: string[];
    hostPushed: string[];
    realIfconfig?: string;
    hostIfconfig?: string;
    hooks: string[];
  };
}

/** The real outcome in the host's words, and what the client saw. */
function realOutcome(real: RealRun): { outcome: string; sees?: string } {
  if (real.state === 'connected') return { outcome: 'connected' };
  if (real.state === 'auth_failed') return { outcome: 'rejected', sees: real.authFailed };
  if (real.state === 'tls_failed') return { outcome: 'rejected', sees: 'TLS handshake failed' };
  return { outcome: `real:${real.state}` };
}

/** The plugin-provided directives of the PUSH_REPLY, in order. */
export function pluginPushed(pushed: string[]): string[] {
  return pushed.filter((o) => !SERVER_GENERATED_PUSH.some((g) => g.match(o)));
}

/** What the host's client-connect config makes the server push: each `push "X"` as X, in order. */
function hostPushed(host: HostRun): string[] {
  return host.options.filter((o) => o.name === 'push').map((o) => o.args[0] ?? '');
}

/** The ifconfig the host's client would receive: ifconfig-push wins, else the pool address with the pool netmask. */
function hostIfconfig(host: HostRun): string | undefined {
  const p = [...host.options].reverse().find((o) => o.name === 'ifconfig-push');
  if (p) return p.args.slice(0, 2).join(' ');
  return host.address ? `${host.address} 255.255.255.0` : undefined;
}

/** A line diff (LCS) of two string lists: "  same", "- real only", "+ host only". */
export function lineDiff(a: string[], b: string[]): string[] {
  const n = a.length,
    m = b.length;
  const L: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i]![j] = a[i] === b[j] ? L[i + 1]![j + 1]! + 1 : Math.max(L[i + 1]![j]!, L[i]![j + 1]!);
  const out: string[] = [];
  let i = 0,
    j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push(`    ${a[i]}`);
      i++;
      j++;
    } else if (i < n && (j >= m || L[i + 1]![j]! >= L[i]![j + 1]!)) {
      out.push(`  - ${a[i]}   (real only)`);
      i++;
    } else {
      out.push(`  + ${b[j]}   (host only)`);
      j++;
    }
  }
  return out;
}

/** The changed lines of a lineDiff with `context` unchanged lines around each change ("..." for the rest). */
export function hunks(diff: string[], context = 2): string[] {
  const changed = diff.map((l) => !l.startsWith('    '));
  const out: string[] = [];
  let skipped = false;
  diff.forEach((l, i) => {
    let near = false;
    for (let k = Math.max(0, i - context); k <= Math.min(diff.length - 1, i + context); k++) if (changed[k]) near = true;
    if (near) {
      out.push(l);
      skipped = false;
    } else if (!skipped) {
      out.push('    ...');
      skipped = true;
    }
  });
  return out;
}

function envDiff(hook: string, index: number, real: string[], host: string[]): string | null {
  if (real.join(',') === host.join(',')) return null;
  const rs = new Set(real),
    hs = new Set(host);
  const missing = real.filter((k) => !hs.has(k));
  const extra = host.filter((k) => !rs.has(k));
  const head =
    missing.length || extra.length
      ? `env keys of hook #${index} ${hook} differ:\n`
        + (missing.length ? `    real only (missing in host): ${missing.join(', ')}\n` : '')
        + (extra.length ? `    host only (not in real):     ${extra.join(', ')}\n` : '')
      : `env key ORDER of hook #${index} ${hook} differs (same keys):\n`;
  return `${head}  envp order, real (-) vs host (+):\n${hunks(lineDiff(real, host)).join('\n')}`;
}

export function compareRuns(
  real: RealRun,
  host: HostRun,
  realRec: Recorded[],
  hostRec: Recorded[],
  opts: { recheckCountVaries?: boolean; viaConfig?: boolean; comparedTags?: string[] } = {},
): Comparison {
  const differences: string[] = [];
  const ro = realOutcome(real);

  // (1) outcome, and the AUTH_FAILED message the client receives
  if (host.problem) differences.push(`host side failed: ${host.problem}`);
  if (real.problem) differences.push(`real side problem: ${real.problem}`);
  if (ro.outcome !== host.outcome) {
    differences.push(
      `outcome differs: real ${ro.outcome}${ro.sees ? ` (${ro.sees})` : ''}, host ${host.outcome}`
        + `${host.clientSees ? ` (${host.clientSees})` : ''}${host.reason ? ` reason: ${host.reason}` : ''}`,
    );
  } else if (ro.outcome === 'rejected' && host.clientSees !== undefined && ro.sees !== host.clientSees) {
    differences.push(`the client receives a different rejection: real "${ro.sees}", host "${host.clientSees}"`);
  }

  // ... and the AUTH_PENDING / INFO_PRE messages it is sent (the server log's; one client only: the log is the server's)
  if (!host.clients && real.authPending.join('\n') !== host.authPending.join('\n')) {
    differences.push(`the client is sent different pending-auth messages:\n${lineDiff(real.authPending, host.authPending).join('\n')}`);
  }

  // (2) pushed config (plugin-provided directives) and the client address
  const rp = pluginPushed(real.pushed);
  const hp = ro.outcome === 'connected' && host.outcome === 'connected' ? hostPushed(host) : [];
  if (ro.outcome === 'connected' && host.outcome === 'connected') {
    if (rp.join('\n') !== hp.join('\n'))
      differences.push(`plugin-provided pushed options differ (real PUSH_REPLY vs host config):\n${lineDiff(rp, hp).join('\n')}`);
    // Through the same server.conf the host also says what the config's push options give: the whole PUSH_REPLY
    // but what OpenVPN adds itself
    if (opts.viaConfig) {
      const rr = real.pushed.filter((o) => !OPENVPN_GENERATED_PUSH.some((g) => g.match(o)));
      const hr = host.pushReply ?? [];
      if (rr.join('\n') !== hr.join('\n')) differences.push(`PUSH_REPLY options differ (real vs host pushReply):\n${lineDiff(rr, hr).join('\n')}`);
    }
    const hi = hostIfconfig(host);
    if (real.ifconfig !== hi) differences.push(`client address differs: real "ifconfig ${real.ifconfig}", host "${hi}"`);
  }

  // (3) hook order and (4) env keys, from the two recorder files
  const r = normalize(realRec, 'real', opts);
  const h = normalize(hostRec, 'host', opts);
  const rl = r.map(describe),
    hl = h.map(describe);
  if (rl.join('\n') !== hl.join('\n')) {
    differences.push(`hook calls differ (recorder, after the deliberate differences):\n${lineDiff(rl, hl).join('\n')}`);
  }
  // env keys, hook by hook, where the two sequences line up by hook name
  const pairs = alignByHook(r, h);
  for (const [i, a, b] of pairs) {
    if (a.env === undefined || b.env === undefined) continue;
    const d = envDiff(a.hook, i, a.env, b.env);
    if (d) differences.push(d);
    for (const tag of opts.comparedTags ?? []) {
      const rv = a.tags?.[tag];
      const hv = b.tags?.[tag];
      if (rv !== hv) differences.push(`${tag} of hook #${i} ${a.hook} differs: real ${rv ?? '(unset)'}, host ${hv ?? '(unset)'}`);
    }
  }
  return {
    differences,
    summary: {
      realOutcome: ro.outcome + (ro.sees ? ` (${ro.sees})` : ''),
      hostOutcome: host.outcome + (host.clientSees ? ` (${host.clientSees})` : ''),
      realPushed: rp,
      hostPushed: hp,
      realIfconfig: real.ifconfig,
      hostIfconfig: hostIfconfig(host),
      hooks: rl,
    },
  };
}

/** Pairs of records with the same hook name, in order (LCS on hook names), numbered by their real position. */
function alignByHook(a: Recorded[], b: Recorded[]): Array<[number, Recorded, Recorded]> {
  const n = a.length,
    m = b.length;
  const L: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) L[i]![j] = a[i]!.hook === b[j]!.hook ? L[i + 1]![j + 1]! + 1 : Math.max(L[i + 1]![j]!, L[i]![j + 1]!);
  const out: Array<[number, Recorded, Recorded]> = [];
  let i = 0,
    j = 0;
  while (i < n && j < m) {
    if (a[i]!.hook === b[j]!.hook) {
      out.push([i + 1, a[i]!, b[j]!]);
      i++;
      j++;
    } else if (L[i + 1]![j]! >= L[i]![j + 1]!) i++;
    else j++;
  }
  return out;
}
