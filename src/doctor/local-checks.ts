/**
 * This machine's clock and the web console's port. The clock is sane from 2024 on (TLS, bans
 * that expire and incidents' times all need it); synchronisation is read from timedatectl when
 * there is one, and not required. The console's port must be free, or held by mamoru itself (its
 * listening socket's owner found through /proc, so nothing is sent to it).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import type { CheckGroup, Finding } from './types.ts';
import { runArgv } from './types.ts';

export const clockChecks: CheckGroup = async (ctx) => {
  const now = new Date();
  const shown = now.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  if (now.getUTCFullYear() < 2024)
    return [{ group: 'clock', mark: 'fail', text: `the clock says ${shown}`, fix: 'set the time: timedatectl set-ntp true (systemd-timesyncd), or install chrony; certificates, bans and incident times depend on it' }];
  const sync = await runArgv(['timedatectl', 'show', '--property=NTPSynchronized', '--value'], ctx.timeoutMs);
  const synced = sync.code === 0 ? sync.stdout.trim() : undefined;
  if (synced === 'no') return [{ group: 'clock', mark: 'warn', text: `the clock says ${shown}, but timedatectl says it is not synchronised`, fix: 'timedatectl set-ntp true, or install chrony' }];
  return [{ group: 'clock', mark: 'ok', text: `the clock says ${shown}${synced === 'yes' ? ' (synchronised)' : ' (synchronisation not checked: timedatectl did not answer)'}` }];
};

/** Socket inodes listening on `port` (TCP, IPv4 and IPv6), from /proc/net. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c[3] === '0A' && parseInt(c[1]?.split(':')[1] ?? '', 16) === port && c[9]) inodes.add(c[9]);
    }
  }
  return inodes;
}

/** The process holding one of these sockets: pid and command line (only what this user may see). */
function socketOwner(inodes: Set<string>): { pid: number; argv: string[]; cmd: string } | undefined {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(m[1]!)) {
        let argv: string[] = [];
        try {
          argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        } catch {
          /* gone */
        }
        return { pid: Number(pid), argv, cmd: argv.join(' ') };
      }
    }
  }
  return undefined;
}

/** `mamoru start` (or `node .../bin/mamoru.js start`), the way the unit and a shell run it. */
function isMamoruStart(argv: string[]): boolean {
  const i = argv.findIndex((a) => /(^|\/)mamoru(\.js)?$/.test(a));
  return i >= 0 && argv[i + 1] === 'start';
}

function tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
}

export const webChecks: CheckGroup = async (ctx) => {
  const web = ctx.cfg.web;
  if (!web.enabled) return [{ group: 'web', mark: 'ok', text: 'the web console is off (web.enabled: false)' }];
  const where = `${web.host.includes(':') ? `[${web.host}]` : web.host}:${web.port}`;
  if (web.port === 0) return [{ group: 'web', mark: 'ok', text: `the web console takes any free port on ${web.host} (web.port: 0)` }];
  const err = await tryListen(web.host, web.port);
  if (err === undefined) return [{ group: 'web', mark: 'ok', text: `the web console's address ${where} is free` }];
  const out: Finding[] = [];
  if (err === 'EADDRINUSE') {
    const owner = socketOwner(listeningInodes(web.port));
    if (owner && isMamoruStart(owner.argv)) out.push({ group: 'web', mark: 'ok', text: `${where} is held by the mamoru daemon itself (pid ${owner.pid})` });
    else
      out.push({
        group: 'web',
        mark: 'fail',
        text: `${where} is in use by ${owner ? `pid ${owner.pid} (${owner.cmd.slice(0, 120)})` : 'another program (run doctor as root to name it)'}`,
        fix: `stop that program, or set web.port to a free port in ${ctx.configFile}`,
      });
  } else if (err === 'EACCES')
    out.push({ group: 'web', mark: 'fail', text: `${where}: a port below 1024 needs a privilege this user lacks`, fix: 'use a port from 1024 (default 8484), or run as the service: `mamoru install-service` grants CAP_NET_BIND_SERVICE for it' });
  else if (err === 'EADDRNOTAVAIL' || err === 'ENOTFOUND')
    out.push({ group: 'web', mark: 'fail', text: `${where}: ${web.host} is not an address of this machine (${err})`, fix: 'set web.host to an address this machine has (127.0.0.1 by default)' });
  else out.push({ group: 'web', mark: 'fail', text: `${where}: cannot listen (${err})`, fix: 'set web.host and web.port to an address and free port of this machine' });
  return out;
};
