// THE list of known, deliberate differences between a real OpenVPN 2.6.14 server run and an ovpn-plugin-host run of
// the same chain and client. Everything the comparison tolerates is here, each with its reason; any other difference
// fails the suite with a readable diff.
import type { Recorded } from './recorder.js';

export interface Deliberate {
  id: string;
  reason: string;
}

/** Hooks the real server calls for its own tun device, not for a client: the host emulates no tun device. */
const SERVER_TUN_HOOKS = new Set(['UP', 'ROUTE_UP', 'ROUTE_PREDOWN', 'DOWN']);

/** Options every PUSH_REPLY of the lab server carries whatever the plugins return (the server's own config). */
/** What OpenVPN adds to every PUSH_REPLY itself (not from a push option). */
export const OPENVPN_GENERATED_PUSH: Array<{ match: (opt: string) => boolean; what: string }> = [
  {
    match: (o) =>
      /^(route-gateway|topology|ping|ping-restart|peer-id|cipher|protocol-flags|tun-mtu|key-derivation|auth-tokens)( |$)/.test(o) || o.startsWith('auth-token'),
    what: 'options OpenVPN adds to every PUSH_REPLY (--server/--topology helpers, NCP, peer-id, protocol flags, MTU)',
  },
  { match: (o) => /^ifconfig(-ipv6)? /.test(o), what: "the client address (compared on its own: real ifconfig vs the host's address/ifconfig-push)" },
];

export const SERVER_GENERATED_PUSH: Array<{ match: (opt: string) => boolean; what: string }> = [
  { match: (o) => o === 'route 192.0.2.0 255.255.255.0', what: 'the lab server config\'s own push "route 192.0.2.0 255.255.255.0"' },
  ...OPENVPN_GENERATED_PUSH,
];

export const DELIBERATE: Deliberate[] = [
  {
    id: 'server-tun-hooks',
    reason:
      "UP and ROUTE_UP (server start) and ROUTE_PREDOWN and DOWN (server stop) belong to the real server's own tun "
      + 'device, not to a client; ovpn-plugin-host emulates no tun device (call those hooks with `call` if a plugin needs them). '
      + 'They are removed from the real record before comparing.',
  },
  {
    id: 'recorder-out-path',
    reason: "OPEN argv: each side records into its own file, so the recorder's out=PATH differs by nature (compared as out=<file>).",
  },
  {
    id: 'client-port',
    reason: 'IPCHANGE argv "[AF_INET]127.0.0.1 <port>": the real client\'s source port is an ephemeral port; the host picks its own ' + '(compared as <port>).',
  },
  {
    id: 'temp-file-names',
    reason:
      'CLIENT_CONNECT / CLIENT_CONNECT_DEFER argv[1] is the client-connect config file: OpenVPN names it '
      + '<tmp-dir>/openvpn_cc_<random hex>.tmp; the host uses the same pattern in its own private temp dir. Compared as '
      + 'openvpn_cc_<hex>.tmp (the name pattern must match, the directory and the random part differ by nature).',
  },
  {
    id: 'env-values',
    reason:
      'Env VALUES differ by nature (pids, ports, times, temp file names, digests of the same certificate are equal but '
      + 'daemon_pid/daemon_start_time/time_unix/untrusted_port/... are not): only env KEYS are compared, per hook and in order.',
  },
  {
    id: 'recheck-count',
    reason:
      "With the v1 file method (a plugin writes '2', then later '1' from a grandchild, without counting calls) the number "
      + 'of CLIENT_CONNECT_DEFER calls is the number of re-checks before the write: real OpenVPN re-checks about every 1.1 s (and '
      + 'on packets), the host every 20 ms and on file writes. For the cases marked `recheckCountVaries`, consecutive '
      + 'CLIENT_CONNECT_DEFER calls are counted as one. Fixtures that resolve after N calls (cc-v1-defer-hook, cc-v2-defer) '
      + 'are compared call by call. A client that vanishes during a deferral that never resolves (cc-never) gets as many '
      + 're-checks as fit before it goes: consecutive CLIENT_CONNECT_DEFER_V2 calls count as one there too.',
  },
  {
    id: 'client-interleaving',
    reason:
      "Several clients on one server: how the calls of different clients interleave depends on timing (real: the clients' "
      + 'packets and handshakes; host: its scheduling), so the global order is not compared. Compared: the server-level calls '
      + "in order, each client's own calls in order (clients paired by per-client context number: the k-th client instance "
      + "on each side), and that no other call comes in between the units OpenVPN runs in one go (a client's TLS_VERIFY "
      + 'calls; AUTH_USER_PASS_VERIFY + TLS_FINAL; the client-connect chain through LEARN_ADDRESS add when no handler '
      + 'defers; CLIENT_DISCONNECT + DESTRUCTOR).',
  },
  {
    id: 'pool-address-order',
    reason:
      'Several clients: which client gets which pool address depends on the order they reach client-connect (real) '
      + "vs the order of host.client() calls (host): within a client's record the address reads <pool>, and the addresses "
      + 'handed out are compared as a multiset.',
  },
  {
    id: 'shared-address-order',
    reason:
      'Several clients given the SAME address (e.g. one ifconfig-push for all): the first to reach LEARN_ADDRESS gets '
      + '"add", the others "update", and only the last owner\'s end deletes it; which client is first depends on timing. '
      + "Within a client's record such a learn reads `learn` and its delete is left out; the LEARN_ADDRESS ops on the "
      + 'address are compared server-wide, in order.',
  },
  {
    id: 'script-env-order',
    reason:
      'The --client-connect script (test/parity/cc-script.sh, a bash script) records its env keys SORTED: bash rebuilds '
      + "the environment of its children, so the envp order OpenVPN passed is lost (PWD, OLDPWD, SHLVL and _ are bash's "
      + 'own and left out). The set of keys is compared.',
  },
  {
    id: 'server-generated-push',
    reason:
      'The PUSH_REPLY also carries what the real server adds itself (its own push "route 192.0.2.0 255.255.255.0", '
      + 'route-gateway, topology, peer-id, cipher, protocol-flags, tun-mtu): only the plugin-provided directives are compared '
      + "with the host's client-connect config; the client address is compared on its own.",
  },
];

/** The re-check hooks whose count depends on the cadence (see 'recheck-count'). */
const RECHECKS = new Set(['CLIENT_CONNECT_DEFER', 'CLIENT_CONNECT_DEFER_V2']);

const TEMP_FILE = /(?:^|\/)openvpn_(cc|ccr|acf|apf|afr)_[0-9a-f]{16,32}\.tmp$/;

/** Apply the deliberate differences to one side's record (both sides get the same treatment). */
export function normalize(records: Recorded[], side: 'real' | 'host', opts: { recheckCountVaries?: boolean } = {}): Recorded[] {
  return records
    .filter((r) => !(side === 'real' && SERVER_TUN_HOOKS.has(r.hook)))
    .filter((r, i, all) => !(opts.recheckCountVaries && RECHECKS.has(r.hook) && all[i - 1]?.hook === r.hook))
    .map((r) => {
      if (r.argv === undefined) return r;
      let argv = r.argv;
      if (r.hook === 'OPEN') argv = argv.replace(/(^|,)out=[^,]*/, '$1out=<file>');
      if (r.hook === 'IPCHANGE') argv = argv.replace(/^(\[AF_INET6?\]\S+) \d+$/, '$1 <port>');
      if (r.hook === 'SCRIPT') argv = argv.replace(/openvpn_(cc|ccr)_[0-9a-f]{16,32}\.tmp/g, 'openvpn_$1_<hex>.tmp');
      if (r.hook === 'CLIENT_CONNECT' || r.hook === 'CLIENT_CONNECT_DEFER') {
        const m = TEMP_FILE.exec(argv);
        if (m) argv = `openvpn_${m[1]}_<hex>.tmp`;
      }
      return { ...r, argv };
    });
}
