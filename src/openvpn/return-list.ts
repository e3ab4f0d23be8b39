// Decode a plugin's return list (struct openvpn_plugin_string_list) from C memory, and pick OpenVPN's "config" value.
import koffi from 'koffi';
import { StringList } from '../worker/native/structs.js';
import type { Pointer } from '../worker/native/runtime.js';

export interface ReturnListNode {
  /** null when the plugin left the name pointer NULL. */
  name: string | null;
  /** null when the plugin left the value pointer NULL. */
  value: string | null;
}

/** Longest list decoded; a longer one is treated as a cycle (a plugin bug) and cut. */
const MAX_NODES = 10_000;

/** Read every node of the list at HEAD (the caller frees it afterwards with libc free). */
export function decodeReturnList(head: Pointer): ReturnListNode[] {
  const nodes: ReturnListNode[] = [];
  let p: Pointer | null = head;
  while (p && nodes.length < MAX_NODES) {
    const n = koffi.decode(p, StringList) as { next: Pointer | null; name: Pointer | null; value: Pointer | null };
    nodes.push({
      name: n.name ? koffi.decode.string(n.name) : null,
      value: n.value ? koffi.decode.string(n.value) : null,
    });
    p = n.next;
  }
  return nodes;
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
