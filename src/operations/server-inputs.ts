// The server-side inputs the CLI's operations start from: OpenVPN 2.6.14's open-time env and each hook's env and argv.
import type { HookName } from '../abi/constants.js';
import { envForHook, serverOpenEnv, type HookCall } from '../server/server-env.js';

/** envp OpenVPN 2.6.14 passes to open at init point 2 (server). */
export function openEnvForServer(): string[] {
  return serverOpenEnv().toEnvp();
}

/** argv (after argv[0]), env, cert and context OpenVPN 2.6.14 passes to HOOK for the default test client.
 * Its temp-file names (acf/apf/afr, cc/ccr) are placed in TMPDIR; DEPTH selects the TLS_VERIFY certificate. */
export function hookInputs(hook: HookName, tmpDir: string, certDepth?: number): HookCall {
  return envForHook(hook, { tmpDir, certDepth });
}
