// Name the function at an offset of a shared object from the file's own symbol table (.symtab, else .dynsym), so a
// crash frame in a static function is named too (dladdr sees only exported symbols). 64-bit little-endian ELF only.
import { readFileSync, statSync } from 'node:fs';

interface FunctionSymbol {
  name: string;
  start: number;
  size: number;
}

/** Files larger than this are not read for symbols (the frame then keeps what the runtime named). */
const MAX_ELF_BYTES = 256 * 1024 * 1024;
const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const STT_FUNC = 2;

const cache = new Map<string, { mtimeMs: number; functions: FunctionSymbol[] }>();

/** The functions (with a size) of an ELF file's symbol table; empty when FILE is not one this can read. Pure on bytes. */
export function elfFunctions(b: Buffer): FunctionSymbol[] {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return [];
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  if (shentsize < 64 || shoff + shnum * shentsize > b.length) return [];
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return {
      type: b.readUInt32LE(at + 4),
      offset: Number(b.readBigUInt64LE(at + 0x18)),
      size: Number(b.readBigUInt64LE(at + 0x20)),
      link: b.readUInt32LE(at + 0x28),
    };
  };
  const sections = Array.from({ length: shnum }, (_, i) => section(i));
  const table = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
  const strings = table && sections[table.link];
  if (!table || !strings || table.offset + table.size > b.length || strings.offset + strings.size > b.length) return [];
  const out: FunctionSymbol[] = [];
  for (let at = table.offset; at + 24 <= table.offset + table.size; at += 24) {
    const size = Number(b.readBigUInt64LE(at + 16));
    if ((b[at + 4]! & 0xf) !== STT_FUNC || size === 0) continue;
    const nameAt = strings.offset + b.readUInt32LE(at);
    const nameEnd = b.indexOf(0, nameAt);
    if (nameEnd < 0 || nameEnd > strings.offset + strings.size) continue;
    out.push({ name: b.toString('latin1', nameAt, nameEnd), start: Number(b.readBigUInt64LE(at + 8)), size });
  }
  return out;
}

/** The function of FILE containing OFFSET and the offset in it, when the file's symbols say. */
export function functionAt(file: string, offset: number): { symbol: string; symbolOffset: number } | undefined {
  let entry = cache.get(file);
  try {
    const { mtimeMs, size } = statSync(file);
    if (!entry || entry.mtimeMs !== mtimeMs) {
      entry = { mtimeMs, functions: size <= MAX_ELF_BYTES ? elfFunctions(readFileSync(file)) : [] };
      cache.set(file, entry);
    }
  } catch {
    return undefined;
  }
  const f = entry.functions.find((s) => offset >= s.start && offset < s.start + s.size);
  return f && { symbol: f.name, symbolOffset: offset - f.start };
}
