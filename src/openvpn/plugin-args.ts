// The arguments a plugin gets after its path, as OpenVPN makes them from a `plugin` line (misc.c
// make_extended_arg_array): exactly one argument is split again like a config line (quotes and escapes honoured),
// two or more are passed as given.
import { tokenizeConfigLine } from './client-config.js';

export function pluginArguments(args: readonly string[]): string[] {
  if (args.length !== 1) return [...args];
  const { tokens, error } = tokenizeConfigLine(args[0]!);
  return error ? [...args] : tokens;
}
