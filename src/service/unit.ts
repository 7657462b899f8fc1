/**
 * The systemd unit mamoru runs under: its own user, the capabilities the firewall (nft,
 * iptables, ipset, ss -K, conntrack: CAP_NET_ADMIN) and raw ICMP echo (the ping probe:
 * CAP_NET_RAW) need and nothing else unless the config asks (serviceNeeds), the file system read
 * only but for its state directory and what the config writes, journald for its output, and
 * `systemctl reload` as SIGHUP (the daemon rereads its config and the guard's jails). The text is
 * a pure function of its inputs, so `--print` and the file written are the same bytes.
 */
import { PATHS, type ServiceNeeds } from './needs.ts';

export interface UnitOptions {
  /** Absolute path of the node binary. */
  node: string;
  /** Absolute path of the installed bin/mamoru.js. */
  bin: string;
  /** The config file the service starts with. @defaultValue /etc/mamoru/mamoru.yaml */
  configFile: string;
  /** The user (and group) the daemon runs as. @defaultValue mamoru */
  user: string;
  /** mamoru's version, named in the header. */
  version: string;
  needs: ServiceNeeds;
}

/** systemd's quoting for one ExecStart word: plain when it can be, else "..." with \ and " escaped. */
export function execWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '$$$$').replace(/%/g, '%%')}"`;
}

/** A path in ReadWritePaths=: spaces escaped; `-` prefix: a directory that is not there yet is no error. */
export const rwPath = (p: string) => '-' + p.replace(/\\/g, '\\\\').replace(/ /g, '\\x20');
/** A comment line never carries a newline from a path. */
export const safe = (s: string) => s.replace(/[\r\n]/g, ' ');

/** Kernel and process lockdown both units share (after ProtectKernelTunables, and in the helper's ProtectKernelModules). */
export const LOCKDOWN = ['ProtectControlGroups=yes', 'ProtectClock=yes', 'ProtectHostname=yes', 'LockPersonality=yes', 'RestrictRealtime=yes', 'RestrictSUIDSGID=yes'];

/** The unit file's text. */
export function unitText(o: UnitOptions): string {
  const caps = ['CAP_NET_ADMIN', 'CAP_NET_RAW'];
  const capWhy = ['#   CAP_NET_ADMIN: bans in the firewall (nft, iptables, ipset) and cutting banned connections (ss -K, conntrack)', '#   CAP_NET_RAW: ICMP echo of the ping probe over a raw socket'];
  if (o.needs.rootOnlyLogs.length > 0) {
    caps.push('CAP_DAC_READ_SEARCH');
    capWhy.push(`#   CAP_DAC_READ_SEARCH: the guard reads logs user ${o.user} cannot read by their mode (root only, or not there yet):`);
    for (const p of o.needs.rootOnlyLogs) capWhy.push(`#     ${safe(p)}`);
  }
  if (o.needs.lowPort !== undefined) {
    caps.push('CAP_NET_BIND_SERVICE');
    capWhy.push(`#   CAP_NET_BIND_SERVICE: the web console listens on port ${o.needs.lowPort}, below 1024`);
  }
  const exec = [o.node, o.bin, 'start', '--config', o.configFile].map(execWord).join(' ');
  const lines = [
    `# mamoru.service, written by \`mamoru install-service\` (mamoru ${o.version}).`,
    '# Install: systemctl daemon-reload && systemctl enable --now mamoru; reload the config: systemctl reload mamoru.',
    '[Unit]',
    'Description=mamoru: watches servers, fixes routine failures, blocks attackers',
    // The root helper for local services (helper-unit.ts), when the config has such services.
    `After=network-online.target${o.needs.local.length > 0 ? ' mamoru-helper.service' : ''}`,
    `Wants=network-online.target${o.needs.local.length > 0 ? ' mamoru-helper.service' : ''}`,
    '',
    '[Service]',
    // mamoru does not speak sd_notify: systemd counts it started once the process runs.
    'Type=simple',
    `User=${o.user}`,
    `Group=${o.user}`,
    ...(o.needs.journal ? ['# The guard reads the system journal (journalctl), which group systemd-journal may read.', 'SupplementaryGroups=systemd-journal'] : []),
    `ExecStart=${exec}`,
    'ExecReload=/bin/kill -HUP $MAINPID',
    'Restart=on-failure',
    'RestartSec=5s',
    '# Exit 2 is a config mamoru refuses: starting again would not help (see journalctl -u mamoru).',
    'RestartPreventExitStatus=2',
    '# Relative paths in the config (the store\'s default ./data/mamoru.db) land in the state directory.',
    `WorkingDirectory=${PATHS.stateDir}`,
    'StateDirectory=mamoru',
    'StateDirectoryMode=0750',
    `# /etc/mamoru stays root's (0755): the config is root:${o.user} 0640, a key file ${o.user}'s own 0600.`,
    'ConfigurationDirectory=mamoru',
    'UMask=0027',
    'StandardOutput=journal',
    'StandardError=journal',
    'SyslogIdentifier=mamoru',
    '',
    '# Capabilities: only what these need, kept across the switch to the user and given to the tools it runs.',
    ...capWhy,
    `CapabilityBoundingSet=${caps.join(' ')}`,
    `AmbientCapabilities=${caps.join(' ')}`,
    'NoNewPrivileges=yes',
    '',
    '# The file system is read-only but for the state directory and what the config writes elsewhere.',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    `ReadWritePaths=${PATHS.stateDir}`,
    ...o.needs.writes.flatMap((w) => [`# ${safe(w.why)}`, `ReadWritePaths=${rwPath(w.dir)}`]),
    'ProtectKernelTunables=yes',
    ...LOCKDOWN,
    '# Netlink: the firewall tools and ss; no other families.',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
    'SystemCallArchitectures=native',
    '# MemoryDenyWriteExecute is left off: the JavaScript engine compiles code at run time.',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}
