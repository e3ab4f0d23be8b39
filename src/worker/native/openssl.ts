// A real OpenSSL X509* for current_cert, made from DER through the system libcrypto (plugins call OpenSSL on it).
import koffi from 'koffi';
import type { Pointer } from './runtime.js';

let crypto: { d2i: (out: null, pp: Pointer[], len: number) => Pointer | null; free: (x: Pointer) => void } | undefined;

function bind() {
  const lib = koffi.load('libcrypto.so.3');
  return {
    lib,
    d2i: lib.func('void *d2i_X509(void *out, _Inout_ void **pp, long len)') as unknown as (out: null, pp: Pointer[], len: number) => Pointer | null,
    free: lib.func('void X509_free(void *x)') as unknown as (x: Pointer) => void,
  };
}

/** Parse DER into an X509* owned by the caller (release with freeX509). Throws on malformed DER. */
export function x509FromDer(der: Buffer): Pointer {
  crypto ??= bind();
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
