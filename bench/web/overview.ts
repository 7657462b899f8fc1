/**
 * Server time of the overview's first page (and a filtered one, a later page, the tree) on a
 * real daemon with N tcp checks (`node --import tsx bench/web/overview.ts 100000`): the median
 * and p95 of 30 requests each, measured at the client over loopback (an upper bound of the
 * server's time), after the daemon has started.
 */
import net, { type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ADMIN_PASSWORD, login, startConsole } from '../../test/web/console.ts';
import { manyChecks } from './many-checks.ts';

const n = Number(process.argv[2] ?? 10_000);
const up = net.createServer((c) => c.end());
await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
const t0 = performance.now();
const con = await startConsole({ extraConfig: `${manyChecks({ targets: n / 10, perTarget: 10, upPort: (up.address() as AddressInfo).port, deadPort: 9, interval: '1h' })}\n` });
console.log(`${n} checks: daemon started in ${Math.round(performance.now() - t0)} ms`);
const s = await login(con.url, 'admin', ADMIN_PASSWORD);
const stats = (xs: number[]) => {
  const a = [...xs].sort((x, y) => x - y);
  return `median ${a[Math.floor(a.length / 2)]!.toFixed(1)} ms, p95 ${a[Math.floor(a.length * 0.95)]!.toFixed(1)} ms`;
};
for (const path of ['/', '/?state=problems', '/?tag=group-3&sort=name', '/?q=t0777', '/?view=tree']) {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 31; i++) {
    const t = performance.now();
    const r = await fetch(`${con.url}${path}`, { headers: { cookie: s.cookie } });
    bytes = (await r.text()).length;
    if (i > 0) times.push(performance.now() - t);
  }
  console.log(`GET ${path}: ${stats(times)}, ${Math.round(bytes / 1024)} KiB`);
}
await con.stop();
up.close();
