/**
 * The root helper (`mamoru helper`, docs/deployment.md): for each socket a local target names,
 * that it is there, that the daemon's user may open it (its group), and that the helper answers
 * a harmless `status` of a service it should know. A local target with services and no helper,
 * checked as a user other than root, is a warning: its starts and restarts would run without root.
 */
import { lstatSync } from 'node:fs';
import { askHelper } from '../helper/client.ts';
import { mayAccess, runArgv, whom, type CheckGroup, type Finding } from './types.ts';

const FIX_RUN = 'mamoru install-service writes mamoru-helper.service; then: systemctl enable --now mamoru-helper';

export const helperChecks: CheckGroup = async (ctx) => {
  const out: Finding[] = [];
  const sockets = new Map<string, string[]>();
  for (const t of ctx.cfg.targets) {
    if (t.executor?.type !== 'local' || !t.services?.length) continue;
    const socket = (t.executor as { helper?: string }).helper;
    if (socket === undefined) {
      if (ctx.user && ctx.user.uid !== 0)
        out.push({ group: 'helper', mark: 'warn', text: `target ${t.name}: its services would be started and restarted as user ${ctx.user.name}, without root`, fix: `add helper: /run/mamoru/helper.sock to its executor, and run the helper (${FIX_RUN})` });
      continue;
    }
    sockets.set(socket, [...(sockets.get(socket) ?? []), ...t.services.map((s) => s.name)]);
  }
  for (const [socket, services] of sockets) {
    let isSocket = false;
    try {
      isSocket = lstatSync(socket).isSocket();
    } catch {
      out.push({ group: 'helper', mark: 'fail', text: `the root helper's socket ${socket} does not exist`, fix: FIX_RUN });
      continue;
    }
    if (!isSocket) {
      out.push({ group: 'helper', mark: 'fail', text: `${socket} is not a socket`, fix: `remove it; the helper makes its own (${FIX_RUN})` });
      continue;
    }
    if (ctx.user && !(await mayAccess(ctx, socket, 'w'))) {
      const group = (await runArgv(['stat', '-c', '%G', socket], ctx.timeoutMs)).stdout.trim() || "the socket's group";
      out.push({ group: 'helper', mark: 'fail', text: `${whom(ctx)} may not open ${socket}`, fix: `usermod -aG ${group} ${ctx.user.name} (the helper's --group), then restart mamoru` });
      continue;
    }
    const a = await askHelper(socket, { verb: 'status', service: services[0]! }, ctx.timeoutMs);
    if (a.ok) out.push({ group: 'helper', mark: 'ok', text: `the root helper at ${socket} answers (status of ${services[0]}: exit ${a.code ?? a.signal})` });
    // A service without a status command: the helper read the same config and said so.
    else if (a.error.startsWith('the config gives no')) out.push({ group: 'helper', mark: 'ok', text: `the root helper at ${socket} answers (${a.error})` });
    else out.push({ group: 'helper', mark: 'fail', text: `the root helper at ${socket}: ${a.error}`, fix: /not a service of a local target/.test(a.error) ? 'the helper reads another config: give mamoru helper the same -c file as the daemon' : FIX_RUN });
  }
  return out;
};
