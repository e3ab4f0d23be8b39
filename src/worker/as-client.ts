// Run plugin calls on behalf of one client: the runtime tags every log line (and its forked helpers' lines) with it.
import { getRuntime } from './native/runtime.js';

/** Run FN with CLIENT as the runtime's current client; no client (undefined or negative): FN runs untagged. */
export function asClient<T>(client: number | undefined, fn: () => T): T {
  if (client === undefined || client < 0) return fn();
  const rt = getRuntime();
  rt.setClient(client);
  try {
    return fn();
  } finally {
    rt.setClient(-1);
  }
}
