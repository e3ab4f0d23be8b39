// Checks a plugin file before dlopen for what would hang or crash the loader: a FIFO, socket or device, a truncated ELF.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** Why FILE must not be given to dlopen, in one line; undefined when dlopen may try it (and explain its own failure). */
export function unloadableFile(file: string): string | undefined {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file);
  } catch {
    return undefined;
  }
  if (st.isFIFO()) return `${file}: a FIFO, not a shared object (not opened: reading it would block)`;
  if (st.isSocket()) return `${file}: a socket, not a shared object`;
  if (st.isCharacterDevice() || st.isBlockDevice()) return `${file}: a device, not a shared object`;
  if (!st.isFile()) return undefined;
  return truncatedElf(file, st.size);
}

/** A 64-bit little-endian ELF whose program headers or loadable segments reach past the end of the file: dlopen maps
 * it and the loader dies of SIGBUS touching the missing pages. */
function truncatedElf(file: string, size: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(64);
    if (readSync(fd, head, 0, 64, 0) < 64 || head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1) return undefined;
    const phoff = Number(head.readBigUInt64LE(32));
    const phentsize = head.readUInt16LE(54);
    const phnum = head.readUInt16LE(56);
    const headersEnd = phoff + phentsize * phnum;
    const cut = (need: number) =>
      `${file}: a truncated ELF file (${size} bytes, but its ${need > headersEnd ? 'loadable segments' : 'program headers'} reach byte ${need}): copy or build it again`;
    if (headersEnd > size) return cut(headersEnd);
    if (phentsize < 56) return undefined;
    const headers = Buffer.alloc(phentsize * phnum);
    readSync(fd, headers, 0, headers.length, phoff);
    let need = 0;
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      if (headers.readUInt32LE(at) !== 1) continue; // PT_LOAD
      need = Math.max(need, Number(headers.readBigUInt64LE(at + 8)) + Number(headers.readBigUInt64LE(at + 32)));
    }
    return need > size ? cut(need) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
