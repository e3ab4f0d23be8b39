// A plugin's return list (struct openvpn_plugin_string_list) as data, and how OpenVPN picks its "config" value.

export interface ReturnListNode {
  /** null when the plugin left the name pointer NULL. */
  name: string | null;
  /** null when the plugin left the value pointer NULL. */
  value: string | null;
}

/**
 * Index of the node with a NULL name that OpenVPN's search for "config" would reach, or -1. OpenVPN 2.6's
 * openvpn_plugin_string_list_find does strcmp(node->name, "config") on every node up to the first match, so a NULL
 * name before the first "config" node (or in a list without one) crashes the server. The host never crashes on it:
 * configValue() skips nameless nodes; callers can warn with this.
 */
export function nullNameBeforeConfig(list: readonly ReturnListNode[] | null): number {
  if (!list) return -1;
  for (const [i, n] of list.entries()) {
    if (n.name === null) return i;
    if (n.name === 'config') return -1;
  }
  return -1;
}

/** OpenVPN keeps only the first node named exactly "config" (plugin.c: plugin_return_get_column); a NULL name never
 * matches (see nullNameBeforeConfig), and a NULL value of that first node means no config from this plugin. */
export function configValue(list: readonly ReturnListNode[] | null): string | undefined {
  return list?.find((n) => n.name === 'config')?.value ?? undefined;
}
