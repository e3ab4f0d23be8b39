// `demo`: what the tool does, on the plugins bundled with the package: a deferred auth with a deferred client-connect
// (v2), then a client-connect deferred through a file (v1), each a whole client life as `connect` prints it.
import type { Command } from 'commander';
import { BUNDLED_PLUGINS, bundledPlugin } from '../host/bundled.js';
import { EXIT } from '../host/exit-codes.js';
import { DEFAULT_CALL_TIMEOUT_MS } from '../host/limits.js';
import type { RunState } from './common.js';
import { runLife } from './connect-life.js';
import type { ConnectCliOptions } from './options.js';

const BASE: ConnectCliOptions = {
  serverOption: [],
  plugin: [],
  env: [],
  peerInfo: [],
  timeout: 60,
  handWindow: 60,
  timing: 'fast',
  stage: 'life',
  callTimeout: DEFAULT_CALL_TIMEOUT_MS,
};

export function registerDemo(program: Command, state: RunState): void {
  program
    .command('demo')
    .description('show a deferred auth and a deferred client-connect on the plugins bundled with the package (no plugin of yours needed)')
    .action(async () => {
      state.exitCode = await runDemo(state);
    });
}

async function runDemo(state: RunState): Promise<number> {
  const say = (text: string) => state.io.out(`${text}\n`);
  say('Bundled plugins (chain them with your own: --plugin "<path> args"):');
  for (const [name, what] of Object.entries(BUNDLED_PLUGINS)) say(`  ${bundledPlugin(name as keyof typeof BUNDLED_PLUGINS)}\n      ${what}`);
  say('\n== 1. auth deferred through auth_control_file (decided after 300 ms), then client-connect deferred with CLIENT_CONNECT_DEFER_V2');
  say(`$ ovpn-plugin-host connect auth-defer.so delay_ms=300 --plugin "cc-v2-defer.so polls=3" --username foo --password bar\n`);
  const first = await runLife(state, bundledPlugin('auth-defer'), ['delay_ms=300'], {
    ...BASE,
    plugin: [`${bundledPlugin('cc-v2-defer')} polls=3`],
    username: 'foo',
    password: 'bar',
  });
  say('\n== 2. client-connect deferred through client_connect_deferred_file (a forked helper writes it after 300 ms)');
  say('$ ovpn-plugin-host connect cc-v1-file.so delay_ms=300\n');
  const second = await runLife(state, bundledPlugin('cc-v1-file'), ['delay_ms=300'], BASE);
  return first === EXIT.SUCCESS ? second : first;
}
