// A real OpenSSL X509* for current_cert, made from DER through the system libcrypto (plugins call OpenSSL on it).
// libcrypto is optional: where it cannot be loaded (slim images), current_cert is NULL and one warning says why.
import koffi from 'koffi';
import { PLOG } from '../../openvpn/constants.js';
import { getRuntime, type Pointer } from './runtime.js';

/** The library OpenVPN 2.6 links against on Debian 12 and most current distributions. */
const LIBCRYPTO = process.env.OVPH_LIBCRYPTO ?? 'libcrypto.so.3';

interface Crypto {
  d2i: (out: null, pp: Pointer[], len: number) => Pointer | null;
  free: (x: Pointer) => void;
}

/** The bound functions, null when libcrypto could not be loaded (undefined: not tried yet). */
let crypto: Crypto | null | undefined;

function bind(): Crypto | null {
  try {
    const lib = koffi.load(LIBCRYPTO);
    return {
      d2i: lib.func('void *d2i_X509(void *out, _Inout_ void **pp, long len)') as unknown as Crypto['d2i'],
      free: lib.func('void X509_free(void *x)') as unknown as Crypto['free'],
    };
  } catch (err) {
    const why = (err as Error).message.split('\n')[0];
    getRuntime().logLine(
      PLOG.WARN,
      'ovpn-plugin-host',
      `${LIBCRYPTO} cannot be loaded (${why}): TLS_VERIFY gets current_cert = NULL; install OpenSSL 3 (Debian: libssl3) for a real X509 certificate`,
    );
    return null;
  }
}

/** Parse DER into an X509* owned by the caller (release with freeX509); NULL (0n) when libcrypto is missing.
 * Throws on malformed DER. */
export function x509FromDer(der: Buffer): Pointer {
  if (crypto === undefined) crypto = bind();
  if (!crypto) return 0n;
  const mem = koffi.alloc('uint8_t', der.length) as unknown as Pointer;
  koffi.encode(mem, koffi.array('uint8_t', der.length), Array.from(der));
  const cursor: Pointer[] = [mem];
  const cert = crypto.d2i(null, cursor, der.length);
  koffi.free(mem as never);
  if (!cert) throw new Error('OpenSSL could not parse the certificate (d2i_X509 failed)');
  return cert;
}

export function freeX509(cert: Pointer): void {
  if (cert && crypto) crypto.free(cert);
}
