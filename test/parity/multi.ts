// Several clients on one server: the recorder lines of different clients interleave, and the interleaving depends on
// timing (on the real server: network and handshake timing; on the host: its scheduling), so it is NOT compared as such.
// What is compared instead:
//   - the server-level calls (OPEN, the generic context's CONSTRUCTOR/DESTRUCTOR, CLOSE, anything no client owns), in order;
//   - client by client: outcome, plugin-pushed options, hook sequence (argv and context included) and env keys per hook;
//   - the pool addresses handed out, as a multiset;
//   - the units OpenVPN runs in one go (its event loop is single-threaded and only switches clients between events), so
//     no other client's call can come in between, whatever the timing: a client's TLS_VERIFY calls (one certificate
//     chain verification), AUTH_USER_PASS_VERIFY + TLS_FINAL (one key-method-2 message), the client-connect chain when
//     no handler defers (CLIENT_CONNECT .. CLIENT_CONNECT_V2 .. script .. LEARN_ADDRESS add: one call of the
//     connection-established handler), CLIENT_DISCONNECT + DESTRUCTOR (one instance close). Checked on both sides.
// Attribution needs parity-ctx-recorder (tag=username,untrusted_port): a call belongs to the client whose per-client
// context it got (#N, in constructor order); calls made with the server's generic context #1 are attributed by their
// argv: IPCHANGE by the client port (the untrusted_port of that client's earlier calls), LEARN_ADDRESS delete by the
// address of that client's LEARN_ADDRESS add; the SCRIPT line of cc-script.sh (no context) by its untrusted_port.
// Clients are PAIRED by context number: the k-th client instance of the real server (the order of the clients' first
// packets) with the k-th `host.client()`. Which real client process is which context is read from the username the
// recorder saw (every client has its own username). Which pool address a client gets depends on the order the clients
// reach client-connect, so within a client's record the address reads <pool>.
import { compareRuns, lineDiff, type Comparison } from './compare.js';
import { normalize } from './differences.js';
import { realPoolAddress, type HostClientRun, type HostRun } from './host-side.js';
import type { RealClientRun, RealRun } from './real-server.js';
import { describe, type Recorded } from './recorder.js';

export interface ClientSlice {
  /** The client's per-client context ("#2", "#3", ...). */
  ctx: string;
  /** The username the client authenticated with (from the recorder's tag), if any. */
  username?: string;
  records: Recorded[];
  /** The position of each of `records` in the whole recorder file. */
  at: number[];
}

export interface Attribution {
  /** Calls that belong to no client, in order. */
  server: Recorded[];
  /** Every client's calls, in order, by context number. */
  clients: ClientSlice[];
  /** The whole file, each call with its owner (a client's context; undefined = the server). */
  all: Array<{ owner?: string; rec: Recorded }>;
}

const ctxNumber = (c: string) => Number(c.replace(/^#/, '')) || 0;

/** Split one recorder file into the server's calls and each client's. */
export function attribute(records: Recorded[]): Attribution {
  const generic = records.find((r) => r.hook === 'CONSTRUCTOR')?.ctx;
  const slices = new Map<string, ClientSlice>();
  const byPort = new Map<string, string>();
  const byAddress = new Map<string, string>();
  const server: Recorded[] = [];
  const all: Attribution['all'] = [];
  for (const [i, r] of records.entries()) {
    let owner: string | undefined;
    if (r.ctx !== undefined && r.ctx !== '-' && r.ctx !== generic) owner = r.ctx;
    else if (r.hook === 'IPCHANGE') owner = byPort.get(/ (\d+)$/.exec(r.argv ?? '')?.[1] ?? '') ?? byPort.get(r.tags?.untrusted_port ?? '');
    else if (r.hook === 'LEARN_ADDRESS') owner = byAddress.get((r.argv ?? '').split(',')[1] ?? '');
    else if (r.ctx === undefined && r.tags?.untrusted_port) owner = byPort.get(r.tags.untrusted_port); // cc-script.sh's SCRIPT
    all.push({ owner, rec: r });
    if (owner === undefined) {
      server.push(r);
      continue;
    }
    let s = slices.get(owner);
    if (!s) {
      s = { ctx: owner, records: [], at: [] };
      slices.set(owner, s);
    }
    s.records.push(r);
    s.at.push(i);
    if (r.tags?.untrusted_port && r.ctx === owner) byPort.set(r.tags.untrusted_port, owner);
    if (r.tags?.username !== undefined && s.username === undefined) s.username = r.tags.username;
    const [op, address] = (r.argv ?? '').split(',');
    if (r.hook === 'LEARN_ADDRESS' && (op === 'add' || op === 'update') && address) byAddress.set(address, owner);
  }
  return { server, clients: [...slices.values()].sort((a, b) => ctxNumber(a.ctx) - ctxNumber(b.ctx)), all };
}

const CC_CHAIN = new Set(['CLIENT_CONNECT', 'CLIENT_CONNECT_V2', 'SCRIPT']);

/** The units of a client's calls that OpenVPN runs in one go, as [first, last] indexes into slice.records. */
export function atomicUnits(slice: ClientSlice): Array<{ what: string; from: number; to: number }> {
  const recs = slice.records;
  const units: Array<{ what: string; from: number; to: number }> = [];
  const tv = recs.flatMap((r, i) => (r.hook === 'TLS_VERIFY' ? [i] : []));
  if (tv.length > 1) units.push({ what: 'the TLS_VERIFY calls of its certificate chain', from: tv[0]!, to: tv[tv.length - 1]! });
  recs.forEach((r, i) => {
    if (r.hook === 'AUTH_USER_PASS_VERIFY' && recs[i + 1]?.hook === 'TLS_FINAL') units.push({ what: 'AUTH_USER_PASS_VERIFY + TLS_FINAL', from: i, to: i + 1 });
    if (r.hook === 'CLIENT_DISCONNECT' && recs[i + 1]?.hook === 'DESTRUCTOR') units.push({ what: 'CLIENT_DISCONNECT + DESTRUCTOR', from: i, to: i + 1 });
  });
  const deferred = recs.some((r) => r.hook === 'CLIENT_CONNECT_DEFER' || r.hook === 'CLIENT_CONNECT_DEFER_V2');
  const first = recs.findIndex((r) => CC_CHAIN.has(r.hook));
  if (!deferred && first >= 0) {
    let last = first;
    while (last + 1 < recs.length && CC_CHAIN.has(recs[last + 1]!.hook)) last++;
    const next = recs[last + 1];
    if (next?.hook === 'LEARN_ADDRESS' && /^add,/.test(next.argv ?? '')) last++;
    if (last > first)
      units.push({
        what: `the client-connect chain (${recs
          .slice(first, last + 1)
          .map((r) => (r.hook === 'LEARN_ADDRESS' ? 'LEARN_ADDRESS add' : r.hook))
          .join(', ')}; no handler deferred)`,
        from: first,
        to: last,
      });
  }
  return units;
}

/** Units of the clients' calls that other calls came in between of: one readable line each. */
export function brokenUnits(a: Attribution): string[] {
  const out: string[] = [];
  for (const s of a.clients) {
    for (const u of atomicUnits(s)) {
      const g0 = s.at[u.from]!,
        g1 = s.at[u.to]!;
      if (g1 - g0 === u.to - u.from) continue;
      const intruders = a.all
        .slice(g0, g1 + 1)
        .filter((x) => x.owner !== s.ctx)
        .map((x) => `${describe(x.rec).replace(/\(.*\)(?=(@[^()]*)?$)/, '')}${x.owner ? ` of client @${x.owner}` : ' (server)'}`);
      out.push(`client @${s.ctx}: ${u.what} is interrupted by ${intruders.length} other call(s): ${intruders.join(', ')}`);
    }
  }
  return out;
}

/** Addresses LEARN_ADDRESS learned for more than one client (add or update): e.g. a plugin giving every client the
 * same ifconfig-push address. */
function sharedAddresses(records: Recorded[]): Set<string> {
  const n = new Map<string, number>();
  for (const r of records) {
    const [op, address] = (r.argv ?? '').split(',');
    if (r.hook === 'LEARN_ADDRESS' && (op === 'add' || op === 'update') && address) n.set(address, (n.get(address) ?? 0) + 1);
  }
  return new Set([...n].filter(([, k]) => k > 1).map(([a]) => a));
}

/** The LEARN_ADDRESS ops on SHARED addresses, in file order ("add 10.8.0.9", "update 10.8.0.9", "delete 10.8.0.9"). */
function sharedOps(records: Recorded[], shared: Set<string>): string[] {
  return records.flatMap((r) => {
    const [op, address] = (r.argv ?? '').split(',');
    return r.hook === 'LEARN_ADDRESS' && address && shared.has(address) ? [`${op} ${address}`] : [];
  });
}

/** Within a client's record: a shared address's add/update reads `learn`, and its delete (the last owner's) is left
 * out; the ops are compared server-wide instead (see 'shared-address-order'). */
function unshare(records: Recorded[], shared: Set<string>): Recorded[] {
  return records.flatMap((r) => {
    const [op, address, ...rest] = (r.argv ?? '').split(',');
    if (r.hook !== 'LEARN_ADDRESS' || !address || !shared.has(address)) return [r];
    if (op === 'delete') return [];
    return [{ ...r, argv: ['learn', address, ...rest].join(',') }];
  });
}

/** Replace the pool addresses the server hands out (in any order) with <pool>. */
function poolize(text: string, pool: Set<string>): string {
  return text.replace(/\b\d+\.\d+\.\d+\.\d+\b/g, (a) => (pool.has(a) ? '<pool>' : a));
}

function realOutcomeOf(c: RealClientRun | undefined): string {
  if (!c) return '-';
  return c.state === 'connected' ? 'connected' : c.state === 'auth_failed' ? 'rejected' : `real:${c.state}`;
}

/** The address a client got, for the multiset comparison. */
function realAddress(c: RealClientRun | undefined): string {
  return c?.ifconfig?.split(' ')[0] ?? '-';
}

function hostAddress(c: HostRun | undefined): string {
  if (!c) return '-';
  const push = [...c.options].reverse().find((o) => o.name === 'ifconfig-push');
  return push?.args[0] ?? c.address ?? '-';
}

export function compareMulti(
  real: RealRun,
  host: HostRun,
  realRec: Recorded[],
  hostRec: Recorded[],
  opts: { recheckCountVaries?: boolean; clients: number },
): Comparison {
  const differences: string[] = [];
  if (host.problem && !host.clients) differences.push(`host side failed: ${host.problem}`);
  if (real.problem) differences.push(`real side problem: ${real.problem}`);
  const pool = new Set(Array.from({ length: opts.clients }, (_, i) => realPoolAddress(i)));
  const realClients = real.clients;
  const hostClients: HostClientRun[] = host.clients ?? [host];

  // the server-level calls, in order
  const ra = attribute(realRec),
    ha = attribute(hostRec);
  const rs = normalize(ra.server, 'real', opts).map(describe),
    hs = normalize(ha.server, 'host', opts).map(describe);
  if (rs.join('\n') !== hs.join('\n'))
    differences.push(`server-level calls differ (no client's; recorder, after the deliberate differences):\n${lineDiff(rs, hs).join('\n')}`);

  // how many clients each side saw
  if (ra.clients.length !== opts.clients || ha.clients.length !== opts.clients) {
    differences.push(
      `client instances seen by the recorder: real ${ra.clients.length} (${ra.clients.map((c) => c.ctx).join(' ')}), `
        + `host ${ha.clients.length} (${ha.clients.map((c) => c.ctx).join(' ')}); expected ${opts.clients}`,
    );
  }

  // an address several clients learn: the ops in order, server-wide (who learns it first depends on timing)
  const shared = new Set([...sharedAddresses(realRec), ...sharedAddresses(hostRec)]);
  const rOps = sharedOps(realRec, shared),
    hOps = sharedOps(hostRec, shared);
  if (rOps.join('\n') !== hOps.join('\n'))
    differences.push(`LEARN_ADDRESS on addresses several clients learned differs (in order):\n${lineDiff(rOps, hOps).join('\n')}`);

  // client by client, paired by context number
  const ctxs = [...new Set([...ra.clients, ...ha.clients].map((c) => c.ctx))].sort((a, b) => ctxNumber(a) - ctxNumber(b));
  const summary = { realOutcome: [] as string[], hostOutcome: [] as string[], realPushed: [] as string[], hostPushed: [] as string[], hooks: [] as string[] };
  for (const ctx of ctxs) {
    const rSlice = ra.clients.find((c) => c.ctx === ctx),
      hSlice = ha.clients.find((c) => c.ctx === ctx);
    const label = `client @${ctx} (real user ${rSlice?.username ?? '?'}, host user ${hSlice?.username ?? '?'})`;
    if (!rSlice || !hSlice) {
      differences.push(`${label}: only on the ${rSlice ? 'real' : 'host'} side`);
      continue;
    }
    const rc = realClients.find((c) => c.username === rSlice.username);
    const hc = hostClients.find((c) => c.username === hSlice.username);
    if (!rc || !hc) {
      differences.push(`${label}: cannot tell which ${rc ? 'host' : 'real'} client this context is (no username recorded)`);
      continue;
    }
    const realRun: RealRun = {
      ...real,
      state: rc.state,
      pushed: rc.pushed,
      ifconfig: rc.ifconfig === undefined ? undefined : poolize(rc.ifconfig, pool),
      authFailed: rc.authFailed,
      problem: undefined,
    };
    const hostRun: HostRun = { ...hc, address: hc.address === undefined ? undefined : poolize(hc.address, pool), problem: hc.problem };
    const pz = (recs: Recorded[]) => recs.map((r) => (r.argv === undefined ? r : { ...r, argv: poolize(r.argv, pool) }));
    const c = compareRuns(realRun, hostRun, pz(unshare(rSlice.records, shared)), pz(unshare(hSlice.records, shared)), opts);
    for (const d of c.differences) differences.push(`${label}: ${d}`);
    summary.realOutcome.push(`${ctx} ${c.summary.realOutcome}`);
    summary.hostOutcome.push(`${ctx} ${c.summary.hostOutcome}`);
    summary.realPushed.push(`${ctx}: ${c.summary.realPushed.join(', ') || '-'}`);
    summary.hostPushed.push(`${ctx}: ${c.summary.hostPushed.join(', ') || '-'}`);
    if (summary.hooks.length === 0) summary.hooks = c.summary.hooks;
  }

  // the units OpenVPN runs in one go (see the top of this file)
  const realBroken = brokenUnits(ra),
    hostBroken = brokenUnits(ha);
  if (realBroken.length)
    differences.push(`the REAL server interleaved calls the harness assumes atomic (a harness assumption is wrong):\n  ${realBroken.join('\n  ')}`);
  if (hostBroken.length) {
    differences.push(
      'calls of other clients come in between a unit that OpenVPN runs in one go (single-threaded event loop; '
        + `no other client can run in between):\n  ${hostBroken.join('\n  ')}`,
    );
  }

  // the pool addresses handed out, as a multiset
  const rAddr = realClients.map(realAddress).sort(),
    hAddr = hostClients.map(hostAddress).sort();
  if (rAddr.join(' ') !== hAddr.join(' ')) differences.push(`the clients' addresses differ (as a multiset): real ${rAddr.join(' ')}, host ${hAddr.join(' ')}`);
  const outcomes = (xs: string[]) => xs.join(' / ');
  return {
    differences,
    summary: {
      realOutcome: outcomes(summary.realOutcome) || realClients.map(realOutcomeOf).join(' / '),
      hostOutcome: outcomes(summary.hostOutcome) || hostClients.map((c) => c.outcome).join(' / '),
      realPushed: summary.realPushed,
      hostPushed: summary.hostPushed,
      realIfconfig: rAddr.join(' '),
      hostIfconfig: hAddr.join(' '),
      hooks: [...normalize(ra.server, 'real', opts).map(describe), `| per client, ${ctxs.length}x:`, ...summary.hooks],
    },
  };
}
