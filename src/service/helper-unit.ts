/**
 * mamoru-helper.service: the root helper (`mamoru helper`, src/helper/) that starts, stops,
 * restarts, reloads and tests the config's local services for the daemon, which runs as its own
 * user. Written only when the config has services on a local target. Root, but no network (unix
 * sockets only) and a read-only system, when every such service is controlled through systemd:
 * systemd then starts the service itself, outside the helper's sandbox. When some service is
 * started by a command of its own or a SysV script, the daemon it starts would inherit the
 * sandbox (no network, a read-only system), so the unit leaves those out and says so, and keeps
 * the services it started when it stops (KillMode=process). Pure text, like unit.ts.
 */
import { execWord, LOCKDOWN, rwPath, safe } from './unit.ts';
import type { ServiceNeeds } from './needs.ts';

export const HELPER_SOCKET = '/run/mamoru/helper.sock';

export interface HelperUnitOptions {
  node: string;
  bin: string;
  configFile: string;
  /** The daemon's user and group: the group that may open the socket. */
  user: string;
  version: string;
  local: ServiceNeeds['local'];
}


export function helperUnitText(o: HelperUnitOptions): string {
  const exec = [o.node, o.bin, 'helper', '--config', o.configFile, '--socket', HELPER_SOCKET, '--group', o.user].map(execWord).join(' ');
  const direct = o.local.filter((s) => s.direct);
  const pidDirs = [...new Set(o.local.flatMap((s) => (s.pidDir ? [s.pidDir] : [])))];
  const sandbox =
    direct.length === 0
      ? [
          '# Every service here is controlled through systemd, which starts it outside this sandbox:',
          '# no network (unix sockets only: its own socket and systemd), the system read-only.',
          'NoNewPrivileges=yes',
          'ProtectSystem=strict',
          'ProtectHome=read-only',
          'PrivateTmp=yes',
          'PrivateDevices=yes',
          ...pidDirs.flatMap((d) => ['# a stale pid file is removed before a start', `ReadWritePaths=${rwPath(d)}`]),
          'ProtectKernelTunables=yes',
          'ProtectKernelModules=yes',
          ...LOCKDOWN,
          'RestrictAddressFamilies=AF_UNIX',
          'SystemCallArchitectures=native',
        ]
      : [
          '# No sandbox: these services are started by their own command or SysV script from this process,',
          '# and would inherit it (no network, a read-only system):',
          ...direct.map((s) => `#   ${safe(s.name)}`),
          '# Control them through systemd (manager: systemd, no start/restart/reload commands) for the sandbox.',
          '# What it started stays up when the helper stops or restarts.',
          'KillMode=process',
        ];
  return [
    `# mamoru-helper.service, written by \`mamoru install-service\` (mamoru ${o.version}).`,
    `# The root helper that starts, stops, restarts, reloads and tests the config's local services for mamoru:`,
    `#   ${safe(o.local.map((s) => s.name).join(', '))}`,
    `# Only root and group ${o.user} may open its socket ${HELPER_SOCKET}; it runs only the commands the config gives.`,
    '# In the config: executor: { type: local, helper: /run/mamoru/helper.sock }',
    '[Unit]',
    'Description=mamoru helper: controls the configured local services for mamoru',
    'Before=mamoru.service',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${exec}`,
    'Restart=on-failure',
    'RestartSec=5s',
    'RestartPreventExitStatus=2',
    '# /run/mamoru (0755) holds the socket, root:' + o.user + ' 0660.',
    'RuntimeDirectory=mamoru',
    'RuntimeDirectoryMode=0755',
    'UMask=0077',
    'StandardOutput=journal',
    'StandardError=journal',
    'SyslogIdentifier=mamoru-helper',
    '',
    ...sandbox,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
