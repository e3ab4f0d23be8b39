// Does a client-connect config text contain OpenVPN's `disable` directive (which rejects the client)?
import { parseClientConfig } from './client-config.js';

export function configDisables(text: string): boolean {
  return parseClientConfig(text).disabled;
}
