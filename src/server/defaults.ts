// Default inputs that stand in for a real server's: the open-time env and each hook's env, from OpenVPN 2.6.14's.
export function defaultOpenEnv(): string[] {
  const now = Math.floor(Date.now() / 1000);
  return [
    'config=/etc/openvpn/server/server.conf', 'verb=4', 'daemon=0', 'daemon_log_redirect=0',
    `daemon_start_time=${now}`, `daemon_pid=${process.pid}`, 'proto_1=udp', 'local_1=127.0.0.1',
    'local_port_1=1194', 'remote_port_1=1194',
  ];
}
