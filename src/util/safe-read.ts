// Read a file a plugin may have tampered with, never blocking: O_NONBLOCK (a FIFO opens at once), regular files only.
import { closeSync, fstatSync, openSync, readSync, constants as fsc } from 'node:fs';

export type SafeRead = { kind: 'text'; text: string; truncatedFrom?: number } | { kind: 'missing' } | { kind: 'not-regular'; what: string };

/** Open for reading as OpenVPN's fopen does (following a symlink), but never block; undefined when it cannot open. */
export function openForReading(path: string): number | undefined {
  try {
    return openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY);
  } catch {
    return undefined;
  }
}

/** PATH's text if it is a regular file (at most MAX bytes); what it is otherwise. Only reads. */
export function readRegularFile(path: string, max = 16 * 1024 * 1024): SafeRead {
  const fd = openForReading(path);
  if (fd === undefined) return { kind: 'missing' };
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      return { kind: 'not-regular', what: st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device' };
    }
    const size = Math.min(st.size, max);
    const buf = Buffer.alloc(size);
    let n = 0;
    while (n < size) {
      const r = readSync(fd, buf, n, size - n, n);
      if (r === 0) break;
      n += r;
    }
    return { kind: 'text', text: buf.subarray(0, n).toString('utf8'), truncatedFrom: st.size > max ? st.size : undefined };
  } catch {
    return { kind: 'missing' };
  } finally {
    closeSync(fd);
  }
}
