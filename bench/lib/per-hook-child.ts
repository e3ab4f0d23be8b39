// Child process of bench/per-hook.ts: time hook calls through our own code, one way per --mode, and print JSON.
//   same     callChain with the same env strings every call (the chain reuses its encoded block)
//   encoded  callChain with an EncodedEnv the caller keeps in C memory
//   fresh    callChain with a different env every call (encoded every call): one of 256 prepared client envs
//   ipc      PluginHost.call (the public API: IPC round trip to the worker, a fresh client context per call)
// In-process modes run as the worker does: the runtime initialised (watchdog, crash handler; plugin logs to
// /dev/null instead of the log pipe), hooks called synchronously on the main thread.
import { openSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HOOKS } from '../../dist/openvpn/constants.js';
import { callChain, EncodedEnv } from '../../dist/worker/plugin/chain.js';
import { Plugin } from '../../dist/worker/plugin/plugin.js';
import { getRuntime } from '../../dist/worker/native/runtime.js';
import { PluginHost, isFailure } from '../../dist/index.js';
import { readEnvFile } from './common.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    mode: { type: 'string', default: 'same' },
    env: { type: 'string' },
    'open-env': { type: 'string' },
    iterations: { type: 'string', default: '100000' },
    warmup: { type: 'string', default: '20000' },
  },
});
const so = positionals[0];
const args = positionals.slice(1);
const iterations = Number(values.iterations);
const warmup = Number(values.warmup);
// Through JSON, as the worker gets env strings over IPC (flat strings, not slices of one file's text).
const viaIpc = (strings: string[]): string[] => JSON.parse(JSON.stringify(strings)) as string[];
const env = values.env ? viaIpc(readEnvFile(values.env)) : [];
const openEnv = values['open-env'] ? readEnvFile(values['open-env']) : [];
const type = HOOKS.CLIENT_CONNECT_V2;

/** Wall and process CPU time per call (ns). */
function timeLoop(f: () => void): { ns: number; cpuNs: number } {
  for (let i = 0; i < warmup; i++) f();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) f();
  const t1 = process.hrtime.bigint();
  const c = process.cpuUsage(c0);
  return { ns: Number(t1 - t0) / iterations, cpuNs: ((c.user + c.system) * 1000) / iterations };
}

/** 256 envs of different clients: the same variables, other ports, addresses and times. */
function clientEnvs(): string[][] {
  const out: string[][] = [];
  for (let k = 0; k < 256; k++) {
    out.push(
      viaIpc(
        env.map((e) => {
          const [key] = e.split('=', 1);
          if (key === 'untrusted_port' || key === 'trusted_port') return `${key}=${40000 + k}`;
          if (key === 'ifconfig_pool_remote_ip') return `${key}=10.29.41.${k + 2}`;
          if (key === 'time_unix') return `${key}=${1795930974 + k}`;
          return e;
        }),
      ),
    );
  }
  return out;
}

async function main(): Promise<void> {
  const mode = values.mode;
  if (mode === 'ipc') {
    const host = await PluginHost.open({ plugins: [{ path: so, args }], openEnv });
    if (isFailure(host)) throw new Error(`open failed: ${JSON.stringify(host)}`);
    const n = Math.max(1, Math.floor(iterations));
    for (let i = 0; i < Math.min(200, n); i++) await host.call('CLIENT_CONNECT_V2', { env });
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const r = await host.call('CLIENT_CONNECT_V2', { env });
      if (r.outcome !== 'returned') throw new Error(JSON.stringify(r));
    }
    const ns = Number(process.hrtime.bigint() - t0) / n;
    const c = process.cpuUsage(c0);
    await host.close();
    // cpu: this (supervisor) process only; the worker's share is not included.
    console.log(JSON.stringify({ mode, iterations: n, ns_per_call: ns, cpu_ns_per_call: ((c.user + c.system) * 1000) / n }));
    return;
  }

  const rt = getRuntime();
  rt.init(openSync('/dev/null', 'w'));
  const plugin = new Plugin(0, { path: so, args }, 30_000);
  plugin.open(openEnv);
  const plugins = [plugin];
  const ctx = plugin.construct();
  const opts = { contexts: [ctx], collectReturnList: true };
  let check = 0;
  let ns: { ns: number; cpuNs: number };
  if (mode === 'same') {
    ns = timeLoop(() => {
      check += callChain(plugins, type, [], env, opts).status;
    });
  } else if (mode === 'encoded') {
    const block = EncodedEnv.encode(env);
    ns = timeLoop(() => {
      check += callChain(plugins, type, [], block, opts).status;
    });
    block.free();
  } else if (mode === 'fresh') {
    const envs = clientEnvs();
    let k = 0;
    ns = timeLoop(() => {
      check += callChain(plugins, type, [], envs[k++ & 255], opts).status;
    });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  plugin.destruct(ctx);
  plugin.close();
  console.log(JSON.stringify({ mode, iterations, ns_per_call: ns.ns, cpu_ns_per_call: ns.cpuNs, statusSum: check }));
}

await main();
