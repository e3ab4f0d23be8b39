// What a real OpenVPN 2.6.14 server can pass a plugin (the fuzzer never goes beyond it): its length limits and the
// characters it lets through, as ../shared/openvpn-semantics.md §5.1 and §8 (14. Sizes) give them. Pure. (Plugin
// arguments: see args.ts, 16 tokens and 255 characters per config line.)

/** Username and password: USER_PASS_LEN 4096 in Debian's build (PKCS#11 enabled), so at most 4095 bytes. */
export const MAX_USER_PASS = 4095;
/** A certificate's common name as OpenVPN reads it (TLS_USERNAME_LEN 64). */
export const MAX_COMMON_NAME = 64;
/** A peer info line (IV_x=value) the server accepts is shorter than 256 characters. */
export const MAX_PEER_INFO_LINE = 255;

/** TEXT cut to at most MAX bytes of UTF-8, on a character boundary. (Control characters may stay: the host replaces
 * them with '_' in usernames and passwords, as OpenVPN does, before any plugin sees them.) */
export function clampBytes(text: string, max: number): string {
  const b = Buffer.from(text, 'utf8');
  if (b.length <= max) return text;
  // cut on a character boundary
  let end = max;
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--;
  return b.subarray(0, end).toString('utf8');
}
