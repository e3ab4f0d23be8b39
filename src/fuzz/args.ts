// Mutate a plugin's own arguments (--fuzz-args): drop one, duplicate one, an empty value, a very long value, odd
// characters, numbers at the limits of C integer types; never beyond what OpenVPN passes from a `plugin` line. Pure.
import type { Random } from './random.js';

/** A config line holds at most 16 tokens (MAX_PARMS): `plugin`, the path and 14 arguments. */
export const MAX_PLUGIN_ARGS = 14;
/** A config line is at most 255 characters (OPTION_LINE_SIZE 256). */
export const MAX_PLUGIN_LINE = 255;

/** The `plugin` config line's length for PATH and ARGS, each argument counted as written plus a space (quotes that a
 * config file would need around an argument with spaces or quotes are not counted). */
function lineLength(path: string, args: readonly string[]): number {
  return `plugin ${path}`.length + args.reduce((n, a) => n + 1 + a.length, 0);
}

/** ARGS cut to what one `plugin` line can carry: at most 14 arguments, the line at most 255 characters (the last
 * arguments shortened, then dropped). */
export function fitPluginLine(path: string, args: readonly string[]): string[] {
  const out = args.slice(0, MAX_PLUGIN_ARGS);
  while (out.length > 0 && lineLength(path, out) > MAX_PLUGIN_LINE) {
    const over = lineLength(path, out) - MAX_PLUGIN_LINE;
    const last = out.at(-1)!;
    if (last.length > over) out[out.length - 1] = last.slice(0, last.length - over);
    else out.pop();
  }
  return out;
}

const NUMBERS = [
  '0',
  '-1',
  '1',
  '2147483647',
  '2147483648',
  '-2147483648',
  '-2147483649',
  '4294967295',
  '4294967296',
  '9223372036854775807',
  '18446744073709551616',
  '0x7fffffff',
  '1e9',
  '007',
  '+1',
  ' 1',
  '1.5',
  'NaN',
];
const ODD = ['%s%s%n', '"', "'", '\\', '$HOME', '`id`', ';id', '..', '/', '=', '==', 'ünï', '\t', ' ', '#', 'a b', '-', '--'];

/** The name part of a `name=value` argument (with its '='), or '' for a bare argument. */
const namePart = (arg: string) => (arg.includes('=') ? arg.slice(0, arg.indexOf('=') + 1) : '');

/** ARGS of the plugin at PATH with one mutation, fitted to a `plugin` line. */
export function mutateArgs(path: string, args: readonly string[], r: Random): string[] {
  const out = [...args];
  const i = r.int(Math.max(out.length, 1));
  const at = out[i] ?? '';
  const name = namePart(at);
  const room = Math.max(
    1,
    MAX_PLUGIN_LINE
      - lineLength(
        path,
        out.filter((_, k) => k !== i),
      )
      - 1
      - name.length,
  );
  const set = (value: () => string) => () => {
    out[i] = value();
  };
  const forms: Array<() => void> = [
    () => void out.splice(i, 1), // drop one
    () => void out.splice(i, 0, at), // duplicate one
    set(() => name), // an empty value
    set(() => name + r.pick(['A', '9', '%', '/']).repeat(room)), // a very long value
    set(() => name + r.pick(ODD)), // odd characters
    set(() => name + r.pick(NUMBERS)), // numbers at limits
    () => void out.push(r.pick([...NUMBERS, ...ODD, 'x=1', 'verb=11'])), // one more argument
  ];
  r.pick(forms)();
  return fitPluginLine(path, out);
}
