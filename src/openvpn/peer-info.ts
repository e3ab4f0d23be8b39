// The peer info a client sends (IV_* and UV_* lines), as an OpenVPN 2.6.14 client makes it, and what a user may add.
import { release } from 'node:os';

/** What a 2.6.14 client sends without --push-peer-info (the capture's). */
export const DEFAULT_PEER_INFO: ReadonlyArray<[string, string]> = [
  ['IV_VER', '2.6.14'],
  ['IV_PLAT', 'linux'],
  ['IV_TCPNL', '1'],
  ['IV_MTU', '1600'],
  ['IV_NCP', '2'],
  ['IV_CIPHERS', 'AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305'],
  ['IV_PROTO', '990'],
  ['IV_LZO_STUB', '1'],
  ['IV_COMP_STUB', '1'],
  ['IV_COMP_STUBv2', '1'],
];

/** What --push-peer-info adds (a client sends UV_* variables only with it): its TLS library and kernel release.
 * (IV_HWADDR too, where the client has a default gateway; a test client here has none.) */
function pushPeerInfo(): Array<[string, string]> {
  return [
    ['IV_SSL', 'OpenSSL_3.0.17_1_Jul_2025'],
    ['IV_PLAT_VER', release().replace(/[^\x21-\x7e]|[$(`]/g, '_')],
  ];
}

/** The lines a client sends: the defaults (unless REPLACE) with EXTRA added or overriding; a UV_* variable makes it a
 * --push-peer-info client. Throws for a name a client never sends (not IV_* or UV_*), saying what to use instead. */
export function clientPeerInfo(extra: Readonly<Record<string, string>>, replace = false): Array<[string, string]> {
  const wrong = Object.keys(extra).filter((k) => !/^(IV|UV)_[A-Za-z0-9_]+$/.test(k));
  if (wrong.length > 0) {
    throw new Error(
      `peer info ${wrong.join(', ')}: a client sends only IV_* and UV_* names (prefix UV_ for your own, e.g. UV_${wrong[0]}; --env sets the env alone)`,
    );
  }
  const lines = new Map<string, string>(replace ? [] : DEFAULT_PEER_INFO);
  if (!replace && Object.keys(extra).some((k) => k.startsWith('UV_'))) for (const [k, v] of pushPeerInfo()) lines.set(k, v);
  for (const [k, v] of Object.entries(extra)) lines.set(k, v);
  return [...lines.entries()];
}
