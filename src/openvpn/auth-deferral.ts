// OpenVPN 2.6's deferred-auth rules, pure: auth_pending_file parsing, auth_control_file verdicts, the expiry window.
import type { FileByte } from './client-connect.js';

/** What auth_pending_file said right after a DEFERRED return (key_state_check_auth_pending_file). */
export type PendingFile =
  | { kind: 'empty' }
  | { kind: 'pending'; timeout: number; method: string; extra: string }
  | { kind: 'invalid'; reason: string; clientReason?: string };

/**
 * Parse auth_pending_file: empty = nothing to do; otherwise at least 3 lines (timeout seconds, method, extra; more
 * lines ignored). Too few lines, a timeout that is not a positive number, or a method the client did not announce
 * in IV_SSO (comma-separated) make the auth fail.
 */
export function parsePendingFile(text: string | undefined, ivSso: string | undefined): PendingFile {
  if (text === undefined || text === '') return { kind: 'empty' };
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 3) {
    return { kind: 'invalid', reason: `auth_pending_file has ${lines.length} line(s); OpenVPN needs 3 (timeout, method, extra)` };
  }
  const [timeoutText, method, extra] = lines as [string, string, string];
  const timeout = Number.parseInt(timeoutText, 10);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    return { kind: 'invalid', reason: `auth_pending_file timeout ${JSON.stringify(timeoutText)} is not a positive number of seconds` };
  }
  const methods = (ivSso ?? '').split(',').filter(Boolean);
  if (!methods.includes(method)) {
    return {
      kind: 'invalid',
      reason: `pending auth method '${method}' is not in the client's IV_SSO (${ivSso === undefined ? 'not sent' : JSON.stringify(ivSso)})`,
      clientReason: `Authentication failed, required pending auth method '${method}' not supported`,
    };
  }
  return { kind: 'pending', timeout, method, extra };
}

/** auth_control_file: only '1' (success) and '0' (failure) decide; anything else, empty or missing is still pending. */
export function controlFileVerdict(b: FileByte): 'accepted' | 'rejected' | 'pending' {
  if (b.kind !== 'byte') return 'pending';
  return b.byte === '1' ? 'accepted' : b.byte === '0' ? 'rejected' : 'pending';
}

/** The default cap on an auth_pending_file timeout: max(hand-window 60 s, reneg-sec 3600 / 2). */
export const DEFAULT_AUTH_PENDING_CAP_MS = 1_800_000;

/**
 * How long after the AUTH call a deferred auth may stay pending. Without an auth_pending_file: the expiry window
 * (min(hand-window, reneg-sec/2), measured from the key's start). With one, OpenVPN (push.c send_auth_pending_messages)
 * replaces the deadline: the file's timeout, capped by max(hand-window, reneg-sec/2) minus the time already spent,
 * so a pending auth may outlive hand-window [measured: accepted at 7 s with hand-window 4].
 */
export function authExpiryMs(expiryWindowMs: number, pending?: { timeout: number; capMs: number }): number {
  return pending ? Math.min(pending.timeout * 1000, pending.capMs) : expiryWindowMs;
}

/** The control messages a client is sent for a pending auth: AUTH_PENDING with the (capped) timeout, then INFO_PRE
 * with the file's extra line [measured: 'AUTH_PENDING,timeout 60', 'INFO_PRE,OPEN_URL:...']. */
export function authPendingMessages(pending: { timeout: number; extra: string }, capMs: number): string[] {
  return [`AUTH_PENDING,timeout ${Math.min(pending.timeout, Math.floor(capMs / 1000))}`, `INFO_PRE,${pending.extra}`];
}

/** The AUTH_FAILED line the client gets: with the reason file's content (verbatim, at most 1024 bytes) when any. */
export function authFailedMessage(reason: string | undefined): string {
  if (!reason) return 'AUTH_FAILED';
  return `AUTH_FAILED,${Buffer.from(reason, 'utf8').subarray(0, 1023).toString('utf8')}`;
}
