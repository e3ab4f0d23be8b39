// The caller's end of a worker's message channel: one JSON message a line over a socket pair (not Node IPC, whose
// fd 3 is where plugins write, and whose parser throws out of Node's internals on a malformed line). A line that is
// not a message is reported ('garbage'), for the supervisor to treat as a worker fault.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

/** A line longer than this is not a message the worker wrote (its largest results are far smaller). */
const MAX_LINE = 256 << 20;

/** Emits 'message' (a parsed object), 'garbage' (the start of a line that is not one) and 'close'. */
export class Wire extends EventEmitter {
  private open = true;
  /** Settles once the worker's end is closed and everything it wrote was read (emitted as messages). */
  readonly drained: Promise<void>;

  constructor(private readonly socket: Socket) {
    super();
    this.drained = new Promise<void>((resolve) => {
      socket.once('end', resolve);
      socket.once('close', resolve);
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.open = false;
      this.emit('close');
    });
  }

  /** The unfinished line so far, as the chunks it came in (joined once, when its newline comes: linear however
   * many chunks a large message takes), and its length. */
  private parts: string[] = [];
  private partsLength = 0;
  /** The unfinished line passed MAX_LINE: it was reported as garbage; drop the rest of it. */
  private skipping = false;

  private onData(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      const line = this.parts.length ? this.parts.join('') + piece : piece;
      const skipped = this.skipping;
      this.parts = [];
      this.partsLength = 0;
      this.skipping = false;
      start = nl + 1;
      if (!skipped) this.onLine(line);
    }
    if (start >= chunk.length || this.skipping) return;
    this.parts.push(chunk.slice(start));
    this.partsLength += chunk.length - start;
    if (this.partsLength > MAX_LINE) {
      this.emit('garbage', this.parts.join('').slice(0, 200));
      this.parts = [];
      this.partsLength = 0;
      this.skipping = true;
    }
  }

  private onLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      message = undefined;
    }
    if (message !== null && typeof message === 'object') this.emit('message', message);
    else this.emit('garbage', line.slice(0, 200));
  }

  /** Whether the channel is still open. */
  get connected(): boolean {
    return this.open && !this.socket.destroyed;
  }

  send(message: object): void {
    if (this.connected) this.socket.write(`${JSON.stringify(message)}\n`);
  }

  /** Close the channel: the worker sees it close (and shuts down). */
  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  ref(on: boolean): void {
    if (on) this.socket.ref();
    else this.socket.unref();
  }
}
