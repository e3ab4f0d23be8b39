// The worker's end of its message channel (fd CHANNEL_FD, a socket pair the caller made): one JSON message a line.
// Not Node IPC, which sits on fd 3, where plugins write what they like (the worker's fd 3 is /dev/null instead).
import { Socket } from 'node:net';
import { CHANNEL_FD } from '../protocol/constants.js';
import type { RequestMessage, WorkerMessage } from '../protocol/messages.js';

const socket = new Socket({ fd: CHANNEL_FD, readable: true, writable: true });
socket.setEncoding('utf8');
socket.on('error', () => undefined);

/** Send MESSAGE to the caller; THEN runs once it is written. */
export function send(message: WorkerMessage, then?: () => void): void {
  socket.write(`${JSON.stringify(message)}\n`, then);
}

/** Call HANDLE with each request the caller sends (the caller writes nothing else into the channel). */
export function onRequest(handle: (msg: RequestMessage) => void): void {
  let tail = '';
  socket.on('data', (chunk: string) => {
    const lines = (tail + chunk).split('\n');
    tail = lines.pop() ?? '';
    for (const line of lines) if (line) handle(JSON.parse(line) as RequestMessage);
  });
}

/** Call HANDLE once when the caller closes the channel (it stopped this worker, or it is gone). */
export function onClose(handle: () => void): void {
  socket.once('close', handle);
}
