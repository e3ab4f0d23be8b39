// What a hostile client or a busy server can hand a plugin, drawn at random: usernames and passwords (with OpenVPN's
// challenge/response forms), common names, peer info, source addresses. Never beyond what a real server passes. Pure.
import { DEFAULT_PEER_INFO } from '../openvpn/peer-info.js';
import { MAX_COMMON_NAME, MAX_PEER_INFO_LINE, MAX_USER_PASS, clampBytes } from './limits.js';
import type { Random } from './random.js';

/** One fuzzed client: what it sends (absent = the host's default). */
export interface FuzzClient {
  username?: string | null;
  password?: string;
  commonName?: string;
  /** Peer info lines; with replacePeerInfo they are all the client sends (defaults may be missing). */
  peerInfo?: Record<string, string>;
  replacePeerInfo?: boolean;
  address?: { ip: string; port: number };
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** A string from the families plugins trip over. */
function nastyText(r: Random, max: number): string {
  const long = (c: string) => c.repeat(1 + r.int(max));
  const forms: Array<() => string> = [
    () => '',
    () => 'foo',
    () => long(r.pick(['A', 'x', '%', '\\', '"', "'", '/'])),
    () => 'A'.repeat(max),
    () => 'A'.repeat(Math.max(0, max - 1)),
    () => r.pick(['63', '64', '65', '127', '128', '255', '256', '1023', '1024']).replace(/\d+/, (n) => 'B'.repeat(Number(n))),
    () => '%s%s%s%n%x%p',
    () => "foo' OR '1'='1",
    () => '$(id);`id`|id&&id',
    () => '../../../../etc/passwd',
    () => 'a\nb\r\nc\tD\x01\x7f',
    () => 'ünïcödé ✓ 𝄞',
    () => '\xff\xfe',
    () => `SCRV1:${b64(nastyText(r, 200))}:${b64(nastyText(r, 200))}`,
    () => `CRV1::${r.pick(['', 'state', 'x'.repeat(200)])}::${nastyText(r, 100)}`,
    () => `CRV1:R,E:${b64('state-id')}:${b64('user')}:${nastyText(r, 100)}`,
    () => 'user@example.com',
    () => ' leading and trailing ',
    () => '=',
    () => String(r.int(2 ** 31)),
  ];
  return clampBytes(r.pick(forms)(), max);
}

function address(r: Random): { ip: string; port: number } {
  const ip = r.pick(['127.0.0.1', '0.0.0.0', '255.255.255.255', '10.0.0.1', '::1', '2001:db8::1', 'fe80::1', '::ffff:192.0.2.1']);
  return { ip, port: r.pick([1, 1194, 65535, 1 + r.int(65535)]) };
}

function peerInfo(r: Random): { peerInfo: Record<string, string>; replacePeerInfo?: boolean } {
  const lines: Record<string, string> = {};
  const replace = r.chance(0.3);
  if (replace) {
    // a client that sends only some of a 2.6 client's lines (another client, an old one, a hostile one)
    for (const [k, v] of DEFAULT_PEER_INFO) if (r.chance(0.5)) lines[k] = v;
  }
  const extra = r.int(4);
  for (let i = 0; i < extra; i++) {
    const name = r.pick(['IV_SSO', 'IV_GUI_VER', 'IV_PLAT', 'IV_VER', 'IV_HWADDR', 'UV_A', 'UV_GROUP', `UV_${'X'.repeat(1 + r.int(40))}`]);
    lines[name] = clampBytes(r.pick([nastyText(r, 200), 'webauth,crtext', 'openurl', '2.6.14', 'win']), MAX_PEER_INFO_LINE - name.length - 1);
  }
  return replace ? { peerInfo: lines, replacePeerInfo: true } : { peerInfo: lines };
}

/** A client with some of its inputs mutated (each field independently). */
export function randomClient(r: Random): FuzzClient {
  const c: FuzzClient = {};
  if (r.chance(0.8)) c.username = r.chance(0.05) ? null : nastyText(r, MAX_USER_PASS);
  if (r.chance(0.6)) c.password = nastyText(r, MAX_USER_PASS);
  if (r.chance(0.4)) c.commonName = nastyText(r, MAX_COMMON_NAME);
  if (r.chance(0.4)) Object.assign(c, peerInfo(r));
  if (r.chance(0.3)) c.address = address(r);
  return c;
}
