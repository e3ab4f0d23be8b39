// Decode a plugin's return list (struct openvpn_plugin_string_list) from C memory into nodes, however long it is.
import koffi from 'koffi';
import type { ReturnListNode } from '../../openvpn/return-list.js';
import { StringList } from '../native/structs.js';
import type { Pointer } from '../native/runtime.js';

/** The nodes read, and where the list turned back on itself (a plugin bug), if it did. */
export interface DecodedReturnList {
  nodes: ReturnListNode[];
  /** The list is cyclic: node `from` (0-based) points back to node `to`. The host cut it there (set that `next` to
   * NULL) so it can be freed; OpenVPN would free the same node twice. */
  cycle?: { from: number; to: number };
}

/** Read every node of the list at HEAD, with no length limit; a cyclic list is read once around and cut where it
 * turns back, so the caller can free it afterwards with libc free. */
export function decodeReturnList(head: Pointer): DecodedReturnList {
  const nodes: ReturnListNode[] = [];
  const seen = new Map<Pointer, number>();
  let p: Pointer | null = head;
  while (p) {
    seen.set(p, nodes.length);
    const n = koffi.decode(p, StringList) as { next: Pointer | null; name: Pointer | null; value: Pointer | null };
    nodes.push({
      name: n.name ? koffi.decode.string(n.name) : null,
      value: n.value ? koffi.decode.string(n.value) : null,
    });
    const to = n.next ? seen.get(n.next) : undefined;
    if (to !== undefined) {
      koffi.encode(p, StringList, { next: null, name: n.name, value: n.value });
      return { nodes, cycle: { from: nodes.length - 1, to } };
    }
    p = n.next;
  }
  return { nodes };
}
