// A connection that ends while its connect still waits on a deferral of its own (the client vanished, or the server
// restarted): the reason the wait is aborted with, carrying the temp files OpenVPN would leave behind.
import type { Step } from '../openvpn/client-connect.js';

export type DroppedBy = 'client' | 'SIGHUP' | 'SIGUSR1';

export class ConnectionDropped extends Error {
  override name = 'ConnectionDropped';
  /** Temp files of the unfinished stage that OpenVPN never deletes (client-connect v1/script: cc and ccr). */
  readonly leftBehind: string[] = [];
  /** The steps the unfinished client-connect stage took (its hook calls), if it was in that stage. */
  readonly steps: Step[] = [];

  constructor(readonly by: DroppedBy) {
    super(
      by === 'client' ? 'the client vanished while its connect waited on a deferral' : `the server restarted (${by}) while the client waited on a deferral`,
    );
  }
}
