// --auth-gen-token at a renegotiation: the session_state the server sets for the token the client presents, and the
// token's text (auth_token.c; states and timing measured on a real 2.6.14 server, see docs/compatibility.md).
import { randomBytes } from 'node:crypto';

/** `auth-gen-token [lifetime] [renewal-time] [external-auth]`. */
export interface AuthGenTokenSettings {
  /** Seconds a token lives from the first connect (0: for ever). */
  lifetimeS: number;
  /** Seconds between renewals (default: reneg-sec); a token older than twice this is expired. */
  renewalS?: number;
  /** external-auth: the plugins are still called when the token is valid (with session_state Authenticated). */
  externalAuth: boolean;
}

/** The session_state values a plugin can see (Invalid/…EmptyUser need a forged token or an empty username: not
 * emulated). */
export type SessionState = 'Initial' | 'Authenticated' | 'Expired';

/**
 * The state of the token a client presents AGE_S seconds after it got it. Measured (reneg-sec 8, a 2.6.14 client, which
 * kept presenting the token of its connect): the 1st renegotiation (+8 s) is Authenticated, the 2nd (+16 s) Expired
 * ("Timestamp ... of auth-token is out of the renewal window"): expired once the whole seconds reach 2 x renewal.
 */
export function tokenState(t: AuthGenTokenSettings, ageS: number, renegSec = 3600): SessionState {
  const age = Math.floor(ageS);
  if (t.lifetimeS > 0 && age >= t.lifetimeS) return 'Expired';
  return age >= 2 * (t.renewalS ?? renegSec) ? 'Expired' : 'Authenticated';
}

/** A token as the server generates it: SESS_ID_AT_<session_id> then base64 of two timestamps and an HMAC (the
 * password a plugin sees with external-auth). */
export function tokenText(sessionId: string, issuedUnixS: number): string {
  const b = Buffer.alloc(48);
  b.writeBigUInt64BE(BigInt(issuedUnixS), 0);
  b.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000)), 8);
  randomBytes(32).copy(b, 16);
  return `SESS_ID_AT_${sessionId}${b.toString('base64')}`;
}
