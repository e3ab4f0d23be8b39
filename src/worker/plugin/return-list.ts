// Decode a plugin's return list (struct openvpn_plugin_string_list) from C memory into nodes.
import koffi from 'koffi';
import type { ReturnListNode } from '../../openvpn/return-list.js';
import { StringList } from '../native/structs.js';
import type { Pointer } from '../native/runtime.js';

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
