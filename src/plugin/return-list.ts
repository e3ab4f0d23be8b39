// Decode a plugin's return list (struct openvpn_plugin_string_list) from C memory, and pick OpenVPN's "config" value.
import koffi from 'koffi';
import { StringList } from '../abi/structs.js';
import type { Pointer } from '../native/runtime.js';

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

/** OpenVPN keeps only the first node named exactly "config" (plugin.c: plugin_return_get_column). */
export function configValue(list: readonly ReturnListNode[] | null): string | undefined {
  return list?.find((n) => n.name === 'config')?.value ?? undefined;
}
