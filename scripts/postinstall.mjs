// After `npm install`: when no native runtime shipped in the package loads on this machine (another CPU, an older
// glibc), build one now with the system C compiler, so the first run does not have to. Never fails the install:
// without a compiler the first run says what to install. In a checkout of the project it does nothing (make builds).
import { existsSync } from 'node:fs';

const locate = new URL('../dist/worker/native/locate-runtime.js', import.meta.url);
if (existsSync(locate) && !existsSync(new URL('../Makefile', import.meta.url))) {
  const { buildRuntime, runtimeCandidates } = await import(locate.href);
  const { default: koffi } = await import('koffi');
  const loads = (path) => {
    try {
      koffi.load(path);
      return true;
    } catch {
      return false;
    }
  };
  if (!runtimeCandidates().some(loads)) {
    try {
      console.log(`ovpn-plugin-host: built the native runtime for linux-${process.arch}: ${buildRuntime()}`);
    } catch (err) {
      console.warn(`ovpn-plugin-host: ${err.message}`);
    }
  }
}
