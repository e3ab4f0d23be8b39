// The differential cases: each is one plugin chain (+ the recorder, chained last) and one client, run once through
// the real OpenVPN 2.6 server and once through ovpn-plugin-host.
export interface ParityCase {
  /** Short unique name (also the test name). */
  name: string;
  /** The chain under test, in order: fixture names from build/fixtures (without .so) and their arguments. */
  chain: Array<{ fixture: string; args?: string[] }>;
  /** The recorder chained after the chain (default 'recorder'; 'parity-recorder' takes skip=HOOK,...). */
  recorder?: { fixture: string; args?: string[] };
  /** The client's --auth-user-pass (null: it sends none). The recorder registers AUTH_USER_PASS_VERIFY, so the server
   * demands one, unless auth-user-pass-optional. */
  username: string | null;
  password: string;
  /** What the real server is expected to do (a mismatch means the lab or the fixture changed, not the host).
   * 'dropped': the client vanished mid-deferral (`vanish`). */
  expect: 'connected' | 'rejected' | 'dropped';
  /** Once the client is connected the server is restarted with this signal, and the client reconnects (real: the
   * signal to the openvpn process, the client comes back by itself; host: host.restart(), then a new client). */
  restart?: 'SIGHUP' | 'SIGUSR1';
  /** The client goes away while its connect waits on a deferral that does not resolve in time (real: the client is
   * stopped when the lab's settle time, 6 s, ends; host: disconnect() at the first deferral progress report after a re-check). The
   * files OpenVPN leaves behind are compared too (the real run dir's tmp vs the host's `vanished.leftBehind`). */
  vanish?: boolean;
  /** The number of CLIENT_CONNECT_DEFER re-checks depends on timing (see differences.ts 'recheck-count'). */
  recheckCountVaries?: boolean;
  /** Several clients on one server, started at the same time, each with its own username (the real client process
   * of a recorded context is found by its username): compared client by client (see multi.ts). Needs the
   * parity-ctx-recorder with tag=username,untrusted_port. `username`/`password` are then unused. */
  clients?: Array<{ username: string; password: string }>;
  /** Both sides run the same server.conf: the real server's, given to the host with --config (also with ccd). */
  viaConfig?: boolean;
  /** More server config lines (run via the config on both sides). */
  extraConfig?: string[];
  /** The recorder gets all its arguments as ONE argument (`plugin recorder.so "out=... tag=..."`), split by the server. */
  recorderArgsAsOne?: boolean;
  /** --client-config-dir files (name -> content) and --ccd-exclusive; both sides then run the same server.conf. */
  ccd?: { files: Record<string, string>; exclusive?: boolean };
  /** UV_* variables the client sends (the real client: --push-peer-info and --setenv). */
  peerInfo?: Record<string, string>;
  /** 'tcp': the real server runs proto tcp-server (client tcp-client); the host gets server.proto 'tcp-server'. */
  proto?: 'udp' | 'tcp';
  /** A --client-connect script: test/parity/cc-script.sh with these arguments (its mode), then the recorder file
   * (the script appends a SCRIPT line with its env keys there); the config file is appended by the server/host. */
  script?: string[];
  /** A product bug this case shows (the host differs from the real server and src/ is not fixed yet): the case FAILS
   * with the differences, and its report names the bug. A case so marked that is in parity fails too (a stale mark). */
  productBug?: string;
  /** Renegotiations after the connect: the real server runs `reneg-sec renegSec` (both sides get that line through
   * the same server.conf) and keeps the client up for them; the host renegotiates as often, renegSec seconds apart. */
  renegotiations?: number;
  renegSec?: number;
  /** Env values the parity-ctx-recorder tags (tag=...) that must be equal on both sides, hook by hook (session_state). */
  comparedTags?: string[];
  /** What the case verifies, for the README. */
  what: string;
}

const FOO = { username: 'foo', password: 'bar' };
/** The recorder that also records each call's per-client context and some env values (to tell clients apart). */
const CTX_RECORDER = { fixture: 'parity-ctx-recorder', args: ['tag=username,untrusted_port'] };
/** Three clients, one username each. */
const THREE = [1, 2, 3].map((i) => ({ username: `user-${i}`, password: 'bar' }));

export const CASES: ParityCase[] = [
  {
    name: 'cc-v2-defer polls=3',
    chain: [{ fixture: 'cc-v2-defer', args: ['polls=3'] }],
    ...FOO,
    expect: 'connected',
    what: "v2 deferral: CLIENT_CONNECT_V2 defers, three DEFER_V2 polls, config from the final round only (ifconfig-push 10.8.0.9, push route 10.9.0.0/16; the deferring round's echo is discarded)",
  },
  {
    name: 'cc-v2-defer polls=2 result=disable',
    chain: [{ fixture: 'cc-v2-defer', args: ['polls=2', 'result=disable'] }],
    ...FOO,
    expect: 'rejected',
    what: '`disable` returned by DEFER_V2 rejects the client (bare AUTH_FAILED); CLIENT_DISCONNECT still runs',
  },
  {
    name: 'cc-v2-defer polls=2 result=fail',
    chain: [{ fixture: 'cc-v2-defer', args: ['polls=2', 'result=fail'] }],
    ...FOO,
    expect: 'rejected',
    what: 'DEFER_V2 returning ERROR rejects the client (bare AUTH_FAILED); CLIENT_DISCONNECT still runs',
  },
  {
    name: 'cc-v1-file delay_ms=300',
    chain: [{ fixture: 'cc-v1-file', args: ['delay_ms=300'] }],
    ...FOO,
    expect: 'connected',
    recheckCountVaries: true,
    what: "v1 file deferral ('2' then a forked grandchild writes the config and '1'): the config file is imported (push echo, ifconfig-push 10.8.0.7)",
  },
  {
    name: 'cc-v1-file delay_ms=300 byte=0',
    chain: [{ fixture: 'cc-v1-file', args: ['delay_ms=300', 'byte=0'] }],
    ...FOO,
    expect: 'rejected',
    recheckCountVaries: true,
    what: "v1 file deferral resolved with '0': rejected",
  },
  {
    name: 'cc-v1-file delay_ms=3000 early=1',
    chain: [{ fixture: 'cc-v1-file', args: ['delay_ms=3000', 'early=1'] }],
    ...FOO,
    expect: 'connected',
    what: 'the "late writer" pitfall: DEFERRED without \'2\' in the ccr file succeeds at the first re-check with the still-empty config file (the pool address, no push), long before the grandchild writes',
  },
  {
    name: 'cc-v1-sync byte=x',
    chain: [{ fixture: 'cc-v1-sync', args: ['byte=x'] }],
    ...FOO,
    expect: 'rejected',
    what: "synchronous v1 SUCCESS with an unknown byte ('x') in the ccr file: rejected",
  },
  {
    name: 'cc-v1-sync byte=1',
    chain: [{ fixture: 'cc-v1-sync', args: ['byte=1'] }],
    ...FOO,
    expect: 'connected',
    what: "synchronous v1 SUCCESS with '1': the config file is imported (push echo)",
  },
  {
    name: 'cc-v1-sync return=error',
    chain: [{ fixture: 'cc-v1-sync', args: ['return=error'] }],
    ...FOO,
    expect: 'rejected',
    what: 'synchronous v1 ERROR: rejected whatever the file says',
  },
  {
    name: 'cc-v1-defer-hook polls=2',
    chain: [{ fixture: 'cc-v1-defer-hook', args: ['polls=2'] }],
    ...FOO,
    expect: 'connected',
    what: "v1 deferral through CLIENT_CONNECT_DEFER polls (twice), then the config file and '1'",
  },
  {
    name: 'cc-v2-noreg (recorder registers DEFER_V2)',
    chain: [{ fixture: 'cc-v2-noreg' }],
    ...FOO,
    expect: 'connected',
    what: 'CLIENT_CONNECT_V2 DEFERRED from a plugin without DEFER_V2 is accepted when ANOTHER plugin of the chain (the recorder) registers DEFER_V2: only that one is polled, and its SUCCESS connects the client',
  },
  {
    name: 'cc-v2-noreg (no plugin registers DEFER_V2)',
    chain: [{ fixture: 'cc-v2-noreg' }],
    recorder: { fixture: 'parity-recorder', args: ['skip=CLIENT_CONNECT_DEFER_V2'] },
    ...FOO,
    expect: 'rejected',
    what: 'CLIENT_CONNECT_V2 DEFERRED while no plugin registers DEFER_V2: the client is rejected (the recorder is parity-recorder without DEFER_V2)',
  },
  {
    name: 'cc-chain-first + cc-v2-defer polls=3',
    chain: [{ fixture: 'cc-chain-first' }, { fixture: 'cc-v2-defer', args: ['polls=3'] }],
    ...FOO,
    expect: 'connected',
    what: 'a chain: every plugin with DEFER_V2 is called in every round; the config of both plugins comes from the final round, in plugin order',
  },
  {
    name: 'auth-defer delay_ms=300',
    chain: [{ fixture: 'auth-defer', args: ['delay_ms=300'] }],
    ...FOO,
    expect: 'connected',
    what: "deferred AUTH_USER_PASS_VERIFY (a grandchild writes '1' into auth_control_file); TLS_FINAL runs before the verdict",
  },
  {
    name: 'auth-defer delay_ms=300 reason=... (wrong password)',
    chain: [{ fixture: 'auth-defer', args: ['delay_ms=300', 'reason=deferred-no'] }],
    username: 'foo',
    password: 'wrong',
    expect: 'rejected',
    what: "deferred auth failing ('0') with an auth_failed_reason_file: what the client receives",
  },
  {
    name: 'auth-defer pending=1 (client without IV_SSO)',
    chain: [{ fixture: 'auth-defer', args: ['delay_ms=300', 'pending=1'] }],
    ...FOO,
    expect: 'rejected',
    what: "deferred auth with an auth_pending_file naming a method (webauth) the client did not announce in IV_SSO: the client receives OpenVPN's own reason",
  },
  {
    name: 'auth-defer pending=1 (client announces IV_SSO=webauth)',
    chain: [{ fixture: 'auth-defer', args: ['delay_ms=1500', 'pending=1'] }],
    ...FOO,
    peerInfo: { IV_SSO: 'webauth' },
    expect: 'connected',
    what: 'the AUTH_PENDING flow: the client announces webauth in IV_SSO, the plugin writes auth_pending_file (60 s, webauth, OPEN_URL:...) and defers; the client is sent AUTH_PENDING and INFO_PRE, then accepted when the grandchild writes 1',
  },
  {
    name: 'tls-refuse depth=1',
    chain: [{ fixture: 'tls-refuse', args: ['depth=1'] }],
    ...FOO,
    expect: 'rejected',
    what: 'TLS_VERIFY refused at depth 1 (the CA): the handshake fails at once, no TLS_VERIFY for depth 0, no auth; the client only sees a TLS error',
  },
  {
    name: 'tls-refuse depth=0',
    chain: [{ fixture: 'tls-refuse', args: ['depth=0'] }],
    ...FOO,
    expect: 'rejected',
    what: 'TLS_VERIFY refused at depth 0 (the client certificate): the handshake fails; no auth, no IPCHANGE',
  },
  {
    name: 'auth-reason (wrong password)',
    chain: [{ fixture: 'auth-reason' }],
    username: 'foo',
    password: 'wrong',
    expect: 'rejected',
    what: 'synchronous auth ERROR with auth_failed_reason_file: the client receives AUTH_FAILED,<file content>',
  },
  {
    name: 'auth-reason (good password)',
    chain: [{ fixture: 'auth-reason' }],
    ...FOO,
    expect: 'connected',
    what: 'synchronous auth SUCCESS',
  },
  {
    name: 'learn-address',
    chain: [{ fixture: 'learn-address' }],
    ...FOO,
    expect: 'connected',
    what: 'LEARN_ADDRESS add at connect, CLIENT_DISCONNECT then delete at disconnect (argv: op, address, CN)',
  },
  {
    name: 'learn-address reject=10.29.41.2',
    chain: [{ fixture: 'learn-address', args: ['reject=10.29.41.2'] }],
    ...FOO,
    expect: 'connected',
    what: 'a LEARN_ADDRESS add refused by the plugin: the client still connects',
  },
  {
    name: 'per-client',
    chain: [{ fixture: 'per-client' }],
    ...FOO,
    expect: 'connected',
    what: 'per-client contexts: the client context counts its hook calls and pushes its id and count (generic context first, so the client is #2)',
  },
  {
    name: 'cert-cn',
    chain: [{ fixture: 'cert-cn' }],
    ...FOO,
    expect: 'connected',
    what: 'TLS_VERIFY gets a real X509* per depth; the depth-0 CN read with OpenSSL is pushed back (push echo cert-cn Test-Client)',
  },
  {
    name: 'return-list',
    chain: [{ fixture: 'return-list' }],
    ...FOO,
    expect: 'connected',
    what: 'CLIENT_CONNECT_V2 returns a 3-node list: only the first "config" node is applied (ifconfig-push 10.8.0.5, push route 10.0.0.0/8)',
  },
  {
    name: 'bad-return',
    chain: [{ fixture: 'bad-return' }],
    ...FOO,
    expect: 'rejected',
    what: 'every hook returns 7 (neither SUCCESS nor DEFERRED): an error; the chain already fails at AUTH_USER_PASS_VERIFY, so the client is rejected there',
  },
  {
    name: 'v1-only (v1 ABI)',
    chain: [{ fixture: 'v1-only' }],
    ...FOO,
    expect: 'connected',
    what: 'a v1-ABI plugin (open_v1/func_v1): AUTH_USER_PASS_VERIFY and CLIENT_CONNECT writing the config file (push echo v1-only)',
  },
  {
    name: 'v2-basic (v2 ABI)',
    chain: [{ fixture: 'v2-basic' }],
    ...FOO,
    expect: 'connected',
    what: 'a v2-ABI plugin (open_v2/func_v2) returning its config through *return_list (ifconfig-push 10.8.0.2)',
  },
  {
    name: 'v3-basic',
    chain: [{ fixture: 'v3-basic' }],
    ...FOO,
    expect: 'connected',
    what: 'a full v3 plugin (min-version, per-client contexts, TLS_VERIFY, auth, TLS_FINAL, CLIENT_CONNECT_V2 pushing echo and setenv-safe CN, LEARN_ADDRESS, CLIENT_DISCONNECT)',
  },
  {
    name: '3 clients: per-client',
    chain: [{ fixture: 'per-client' }],
    recorder: CTX_RECORDER,
    ...FOO,
    clients: THREE,
    expect: 'connected',
    what: "three clients connecting at the same time: each gets its own per-client context through its whole life (every hook of a client sees the same context; the k-th client instance pushes echo context-k-calls-5), IPCHANGE and LEARN_ADDRESS delete with the server's generic context, the three pool addresses; no other client's call inside a unit OpenVPN runs in one go",
  },
  {
    name: '3 clients: learn-address',
    chain: [{ fixture: 'learn-address' }],
    recorder: CTX_RECORDER,
    ...FOO,
    clients: THREE,
    expect: 'connected',
    what: 'three clients at the same time: a LEARN_ADDRESS add per client (its own address and CN), at the end CLIENT_DISCONNECT, destructor and LEARN_ADDRESS delete of each; units run in one go',
  },
  {
    name: '3 clients: deferred auth',
    chain: [{ fixture: 'auth-defer', args: ['delay_ms=800', 'user=*'] }],
    recorder: CTX_RECORDER,
    clients: THREE,
    ...FOO,
    expect: 'connected',
    what: 'three clients whose AUTH_USER_PASS_VERIFY is deferred at the same time (each its own auth_control_file, decided 0.8 s later by its own grandchild): each client as in the single-client case, in its own context',
  },
  {
    name: '3 clients: deferred client-connect (v2 and v1 file)',
    chain: [
      { fixture: 'cc-v2-defer', args: ['polls=2'] },
      { fixture: 'cc-v1-file', args: ['delay_ms=500'] },
    ],
    recorder: CTX_RECORDER,
    clients: THREE,
    ...FOO,
    expect: 'connected',
    recheckCountVaries: true,
    what: "three clients deferred in client-connect at the same time, through CLIENT_CONNECT_DEFER_V2 polls and a client_connect_deferred_file each: every client gets both plugins' config from its own deferral",
  },
  {
    name: '3 clients: client-connect script sync',
    chain: [{ fixture: 'per-client' }],
    recorder: CTX_RECORDER,
    ...FOO,
    clients: THREE,
    script: ['sync'],
    expect: 'connected',
    what: "three clients at the same time with a --client-connect script: per client as in the single-client case; the script runs inside the client-connect chain, which no other client's call may interrupt (OpenVPN waits for the script)",
  },
  {
    name: 'client-connect script sync',
    chain: [{ fixture: 'per-client' }],
    recorder: CTX_RECORDER,
    ...FOO,
    script: ['sync'],
    expect: 'connected',
    what: "--client-connect script (script-security 2) after the plugins: runs after CLIENT_CONNECT and CLIENT_CONNECT_V2, before LEARN_ADDRESS; its env keys; its config file is applied after the plugins' (push echo context-2-calls-5, then the script's push echo and push route)",
  },
  {
    name: 'client-connect script defer',
    chain: [{ fixture: 'per-client' }],
    recorder: CTX_RECORDER,
    ...FOO,
    script: ['defer'],
    expect: 'connected',
    what: "a deferred --client-connect script ('2' in client_connect_deferred_file, a detached writer writes the config and '1' 0.3 s later): the deferred config is applied (push echo, ifconfig-push 10.29.41.77), no plugin hook runs during the deferral",
  },
  {
    name: 'client-connect script defer0',
    chain: [{ fixture: 'per-client' }],
    recorder: CTX_RECORDER,
    ...FOO,
    script: ['defer0'],
    expect: 'rejected',
    what: "a deferred --client-connect script resolved with '0': rejected, CLIENT_DISCONNECT still runs",
  },
  {
    name: 'client-connect script fail',
    chain: [{ fixture: 'per-client' }],
    recorder: CTX_RECORDER,
    ...FOO,
    script: ['fail'],
    expect: 'rejected',
    what: "a --client-connect script exiting 1: rejected (the plugins' config is dropped), CLIENT_DISCONNECT still runs",
  },
  {
    name: 'per-client (tcp)',
    chain: [{ fixture: 'per-client' }],
    recorder: CTX_RECORDER,
    ...FOO,
    proto: 'tcp',
    expect: 'connected',
    what: "the per-client case over TCP (proto tcp-server; host server.proto 'tcp-server'): env keys of a TCP server, IPCHANGE with the client's own context (UDP: the server's)",
  },
  {
    name: '3 clients: learn-address (tcp)',
    chain: [{ fixture: 'learn-address' }],
    recorder: CTX_RECORDER,
    ...FOO,
    clients: THREE,
    proto: 'tcp',
    expect: 'connected',
    what: "three TCP clients at the same time: per-client sequences and contexts (IPCHANGE in each client's context), LEARN_ADDRESS add/delete per client",
  },
  {
    name: 'push-peer-info with UV_ variables',
    chain: [{ fixture: 'per-client' }],
    ...FOO,
    peerInfo: { UV_WANT_COLOR: 'blue', UV_GROUP: 'lab' },
    expect: 'connected',
    what: "a client that sends UV_* variables (--push-peer-info): they and the IV_* lines that come with them (IV_SSL, IV_PLAT_VER) in the env of AUTH_USER_PASS_VERIFY and later hooks, in the real client's order",
  },
  {
    name: "client-config-dir: the client's file",
    chain: [{ fixture: 'per-client' }],
    ...FOO,
    ccd: { files: { 'Test-Client': 'ifconfig-push 10.29.41.33 255.255.255.0\npush "route 10.50.0.0 255.255.0.0"\n', DEFAULT: 'push "echo from-default"\n' } },
    expect: 'connected',
    what: "--client-config-dir with a file named after the client's CN (DEFAULT unused): its ifconfig-push and push apply, before the plugins' client-connect; both sides run the same server.conf",
  },
  {
    name: 'client-config-dir: DEFAULT',
    chain: [{ fixture: 'per-client' }],
    ...FOO,
    ccd: { files: { DEFAULT: 'ifconfig-push 10.29.41.44 255.255.255.0\n' } },
    expect: 'connected',
    what: '--client-config-dir without a file for the CN: DEFAULT applies',
  },
  {
    name: 'ccd-exclusive without a file',
    chain: [{ fixture: 'per-client' }],
    ...FOO,
    ccd: { files: { DEFAULT: 'push "echo from-default"\n' }, exclusive: true },
    expect: 'rejected',
    what: '--ccd-exclusive and no file for the CN (DEFAULT does not count): the authentication fails (AUTH_FAILED)',
  },
  {
    name: "ccd-exclusive with the client's file",
    chain: [{ fixture: 'per-client' }],
    ...FOO,
    ccd: { files: { 'Test-Client': 'ifconfig-push 10.29.41.55 255.255.255.0\n' }, exclusive: true },
    expect: 'connected',
    what: '--ccd-exclusive with a file for the CN: connected with its address',
  },
  {
    name: 'a single plugin argument is split',
    chain: [{ fixture: 'per-client' }],
    recorder: { fixture: 'parity-ctx-recorder', args: ['tag=username'] },
    recorderArgsAsOne: true,
    viaConfig: true,
    ...FOO,
    expect: 'connected',
    what: 'the recorder\'s arguments given as ONE quoted argument (`plugin x.so "out=... tag=..."`): split again as OpenVPN splits it (its argv at OPEN is compared); the same server.conf on both sides (the library road: test/host/host.test.ts)',
  },
  {
    name: 'tcp, several plugins and a script (server.conf)',
    chain: [
      { fixture: 'cc-v1-file', args: ['delay_ms=200'] },
      { fixture: 'cc-v2-defer', args: ['polls=2'] },
    ],
    recorder: CTX_RECORDER,
    ...FOO,
    proto: 'tcp',
    script: ['sync'],
    viaConfig: true,
    recheckCountVaries: true,
    expect: 'connected',
    what: 'proto tcp-server, two plugin lines and a client-connect script, all from the same server.conf on both sides (--config)',
  },
  {
    name: 'keying-material-exporter (server.conf)',
    chain: [{ fixture: 'per-client' }],
    ...FOO,
    extraConfig: ['keying-material-exporter EXPORTER-parity 16'],
    expect: 'connected',
    what: '`keying-material-exporter`: exported_keying_material in the env of TLS_FINAL only; same server.conf on both sides',
  },
  {
    name: 'username-as-common-name (server.conf)',
    chain: [{ fixture: 'per-client' }],
    recorder: { fixture: 'parity-ctx-recorder', args: ['tag=common_name'] },
    ...FOO,
    extraConfig: ['username-as-common-name'],
    expect: 'connected',
    what: '`username-as-common-name`: from the auth on, common_name is the username (its value is compared at every hook); same server.conf on both sides',
  },
  {
    name: 'a deferred auth past hand-window (server.conf)',
    chain: [{ fixture: 'auth-defer', args: ['delay_ms=9000'] }],
    ...FOO,
    extraConfig: ['hand-window 4'],
    expect: 'rejected',
    what: 'a deferred auth still undecided at `hand-window 4`: the client gets AUTH_FAILED; same server.conf on both sides',
  },
  {
    name: 'AUTH_PENDING outlives hand-window (server.conf)',
    chain: [{ fixture: 'auth-defer', args: ['delay_ms=7000', 'pending=1'] }],
    ...FOO,
    peerInfo: { IV_SSO: 'webauth' },
    extraConfig: ['hand-window 4'],
    expect: 'connected',
    what: 'auth_pending_file (timeout 60) sets its own deadline, capped by max(reneg-sec/2, hand-window), not by hand-window: a verdict at 7 s with `hand-window 4` is accepted; same server.conf on both sides',
  },
  {
    name: 'auth-user-pass-optional, a client without a username (server.conf)',
    chain: [{ fixture: 'per-client' }],
    username: null,
    password: '',
    extraConfig: ['auth-user-pass-optional'],
    expect: 'connected',
    what: '`auth-user-pass-optional`: a client that sends no username is checked with empty strings (AUTH_USER_PASS_VERIFY is called); same server.conf on both sides',
  },
  {
    name: 'push-reset in the client-config-dir file',
    chain: [{ fixture: 'per-client' }],
    ...FOO,
    ccd: { files: { 'Test-Client': 'push-reset\npush "route 10.51.0.0 255.255.0.0"\n' } },
    expect: 'connected',
    what: "the server config's push options reach the client unless its own config has push-reset (here: only its route and the plugin's push); same server.conf on both sides",
  },
  {
    name: 'auth-gen-token, first connection (server.conf)',
    chain: [{ fixture: 'per-client' }],
    ...FOO,
    extraConfig: ['auth-gen-token'],
    expect: 'connected',
    what: '`auth-gen-token`: AUTH_USER_PASS_VERIFY of a client without a token gets session_id and session_state (the token OpenVPN pushes is its own); same server.conf on both sides',
  },
  {
    name: 'setenv and setenv-safe (server.conf)',
    chain: [{ fixture: 'per-client' }],
    recorder: { fixture: 'parity-ctx-recorder', args: ['tag=LAB_TAG,OPENVPN_LAB_SAFE'] },
    ...FOO,
    extraConfig: ['setenv LAB_TAG "parity lab"', 'setenv-safe LAB_SAFE yes'],
    expect: 'connected',
    what: '`setenv` and `setenv-safe` (OPENVPN_ prefix) in the env of every hook, with their values; same server.conf on both sides',
  },
  // Server restarts and vanishing clients (issue #13). Measured on the real 2.6.14 server with the recorder: a
  // restart ends each connected client with CLIENT_DISCONNECT, its destructor and LEARN_ADDRESS delete (server
  // context), then ROUTE_PREDOWN/DOWN (tun hooks, not compared); a client gone during a deferral never gets
  // CLIENT_DISCONNECT, only its destructor (at the latest when the server stops: the real server does not close the
  // instance on the client's exit notification before it is connected).
  {
    name: 'restart SIGHUP with a connected client',
    chain: [],
    ...FOO,
    restart: 'SIGHUP',
    expect: 'connected',
    what: 'SIGHUP: CLIENT_DISCONNECT, destructor, LEARN_ADDRESS delete for the connected client; generic destructor, CLOSE, then OPEN and a new generic constructor; the client reconnects as a new instance (new constructor, its whole life again)',
  },
  {
    name: 'restart SIGUSR1 with a connected client',
    chain: [],
    ...FOO,
    restart: 'SIGUSR1',
    expect: 'connected',
    what: 'SIGUSR1: the client is ended as for SIGHUP, the plugin stays open and gets its generic constructor again (the old generic context is never destroyed: one DESTRUCTOR fewer at shutdown); the client reconnects',
  },
  {
    name: 'a client vanishes during a deferred auth',
    chain: [{ fixture: 'auth-defer', args: ['delay_ms=15000'] }],
    ...FOO,
    vanish: true,
    expect: 'dropped',
    what: 'a client gone while AUTH_USER_PASS_VERIFY is deferred: no CLIENT_DISCONNECT, its destructor only; the auth control files go with the key (nothing left in tmp-dir)',
  },
  {
    name: 'a client vanishes during a deferred v2 client-connect',
    chain: [{ fixture: 'cc-never', args: ['mode=v2'] }],
    ...FOO,
    vanish: true,
    recheckCountVaries: true,
    expect: 'dropped',
    what: 'a client gone while CLIENT_CONNECT_V2 is deferred: no CLIENT_DISCONNECT, its destructor only; no file left',
  },
  {
    name: 'a client vanishes during a deferred v1 client-connect',
    chain: [{ fixture: 'cc-never', args: ['mode=v1'] }],
    ...FOO,
    vanish: true,
    recheckCountVaries: true,
    expect: 'dropped',
    what: "a client gone while CLIENT_CONNECT is deferred through the ccr file ('2'): no CLIENT_DISCONNECT, its destructor only; OpenVPN never deletes the cc and ccr files (the host reports them in `vanished.leftBehind`, then removes them)",
  },
  // Renegotiation (the server's reneg-sec 8; measured on the real server, see src/worker/client-life.ts renegotiate()).
  // Not run here, and why: a 2nd renegotiation with a plain auth-gen-token fails with an expired token (the real
  // client kept its first token), and the real client then reconnects as a NEW instance with its password: the host
  // has no reconnect to compare (the expiry itself is tested in test/host/renegotiate.test.ts and test/cli); a failed
  // re-auth's CLIENT_DISCONNECT comes 5 s later on the real server ("Delayed exit"), at once on the host (the order of
  // the calls is the same, and compared).
  {
    name: 'renegotiation (reneg-sec 8)',
    chain: [{ fixture: 'per-client' }],
    ...FOO,
    renegotiations: 1,
    renegSec: 8,
    expect: 'connected',
    what: 'a renegotiation (`reneg-sec 8`): X509_* cleared, TLS_VERIFY per depth, AUTH_USER_PASS_VERIFY, TLS_FINAL with the same per-client context; no IPCHANGE, no client-connect; the env keys of each call',
  },
  {
    name: 'renegotiation: deferred re-auth',
    chain: [{ fixture: 'auth-defer', args: ['delay_ms=300'] }],
    ...FOO,
    renegotiations: 1,
    renegSec: 8,
    expect: 'connected',
    what: 'the re-auth at a renegotiation is deferred again (a grandchild writes the acf); TLS_FINAL before the verdict, as at the connect',
  },
  {
    name: 'renegotiation: a failed re-auth kills the tunnel',
    chain: [{ fixture: 'auth-nth', args: ['fail=2'] }],
    ...FOO,
    renegotiations: 1,
    renegSec: 8,
    expect: 'connected',
    what: "the re-auth at the renegotiation fails (auth-nth fail=2): no TLS_FINAL, the client gets AUTH_FAILED,re-auth 2 refused, and the tunnel is killed: CLIENT_DISCONNECT, destructor, LEARN_ADDRESS delete (the real server's comes 5 s later)",
  },
  {
    name: 'auth-gen-token: a valid token at the renegotiation (server.conf)',
    chain: [{ fixture: 'per-client' }],
    recorder: { fixture: 'parity-ctx-recorder', args: ['tag=session_state'] },
    ...FOO,
    extraConfig: ['auth-gen-token', 'hand-window 4'],
    renegotiations: 1,
    renegSec: 8,
    comparedTags: ['session_state'],
    expect: 'connected',
    what: '`auth-gen-token`: at the renegotiation the client presents its token, which is valid: no AUTH_USER_PASS_VERIFY, TLS_FINAL sees session_state Authenticated (Initial before); same server.conf on both sides',
  },
  {
    name: 'auth-gen-token external-auth: Authenticated, then Expired (server.conf)',
    chain: [{ fixture: 'per-client' }],
    recorder: { fixture: 'parity-ctx-recorder', args: ['tag=session_state'] },
    ...FOO,
    extraConfig: ['auth-gen-token 0 external-auth', 'hand-window 4'],
    renegotiations: 2,
    renegSec: 8,
    comparedTags: ['session_state'],
    expect: 'connected',
    what: '`auth-gen-token 0 external-auth`: the plugins are called at each renegotiation with the token as the password; session_state Authenticated at the 1st (+8 s), Expired at the 2nd (+16 s: twice the renewal time, reneg-sec); same server.conf on both sides',
  },
];
