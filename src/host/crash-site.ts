// Pick a crash's site: the first frame (faulting one first) inside one of the chain's plugin files, its function named
// from the file's own symbols when they know it (a static function has no dynamic symbol for the runtime to find).
import { realpathSync } from 'node:fs';
import type { CrashFrame, CrashSite } from '../protocol/failures.js';
import { functionAt } from './elf-symbols.js';

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** FRAMES with each function named from its module's symbol table where that finds one (a return address is looked
 * up one byte back, so a call at a function's end is not named after the next function; the faulting one as it is). */
function nameFrames(frames: readonly CrashFrame[]): CrashFrame[] {
  return frames.map((f, i) => {
    const back = i === 0 ? 0 : 1;
    const found = functionAt(f.module, f.offset - back);
    return found ? { ...f, symbol: found.symbol, symbolOffset: found.symbolOffset + back } : f;
  });
}

/** The crash site in the chain PATHS (plugin files as the chain names them), if a frame lies in one of them. */
export function crashSite(frames: readonly CrashFrame[] | undefined, paths: readonly string[]): CrashSite | undefined {
  if (!frames?.length) return undefined;
  const named = nameFrames(frames);
  const plugins = paths.map((p) => ({ path: p, real: real(p) }));
  for (const f of named) {
    const module = real(f.module);
    const plugin = plugins.find((p) => p.real === module || p.path === f.module);
    if (plugin) {
      return {
        plugin: plugin.path,
        offset: f.offset,
        ...(f.symbol !== undefined ? { symbol: f.symbol, symbolOffset: f.symbolOffset } : {}),
        frames: named,
      };
    }
  }
  return undefined;
}

/** A frame for people: "take_current+0x12" (or "+0x1234" in the module when unnamed). */
export function frameText(f: { offset: number; symbol?: string; symbolOffset?: number }): string {
  return f.symbol !== undefined ? `${f.symbol}+0x${(f.symbolOffset ?? 0).toString(16)}` : `+0x${f.offset.toString(16)}`;
}
