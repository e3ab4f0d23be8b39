// The caller's end of a worker's message channel: one JSON message a line over a socket pair (not Node IPC, whose
// fd 3 is where plugins write, and whose parser throws out of Node's internals on a malformed line). A line that is
// not a message is reported ('garbage'), for the supervisor to treat as a worker fault.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

/** A line longer than this is not a message the worker wrote (its largest results are far smaller). */
const MAX_LINE = 256 << 20;

/** Emits 'message' (a parsed object), 'garbage' (the start of a line that is not one) and 'close'. */
export class Wire extends EventEmitter {
  private tail = '';
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

  private onData(chunk: string): void {
    const lines = (this.tail + chunk).split('\n');
    this.tail = lines.pop() ?? '';
    if (this.tail.length > MAX_LINE) lines.push(this.tail.slice(0, 200));
    for (const line of lines) {
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        message = undefined;
      }
      if (message !== null && typeof message === 'object') this.emit('message', message);
      else this.emit('garbage', line.slice(0, 200));
    }
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
