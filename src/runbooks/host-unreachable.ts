/**
 * host-unreachable: the server does not answer at all. Ping it again from the monitor, try its
 * service ports (ping may be filtered while the server is fine), and say what the other probe
 * locations see, or that there are none: from one place alone, trouble near the monitor looks
 * exactly like the server being down. A cloud instance gets its console named for the client.
 */
import { probeOnce } from '../actions/answers.ts';
import { said } from '../core/said.ts';
import { Findings, quoted } from './steps.ts';
import { defineRunbook, targetName } from './types.ts';

export default defineRunbook({
  name: 'host-unreachable',
  summary: 'ping again from the monitor, try the service ports, compare with other zones',
  async run(ctx) {
    const f = new Findings(ctx.clock);
    const where = targetName(ctx);
    const ports = ctx.service.ports;
    // At once: a down host makes each of them wait its whole timeout.
    const [ping, ...tcp] = await Promise.all([
      probeOnce('ping', ctx.address, { packets: 5, packet_interval: '200ms' }, 3000, ctx.signal),
      ...ports.map((port) => probeOnce('tcp', ctx.address, { port }, Math.min(ctx.service.page_timeout, 5000), ctx.signal)),
    ]);
    f.add(
      'ping',
      `ping ${ctx.address} from the monitor: ${ping!.text}`,
      { ...ping! },
      ping!.answered ? said(`${ctx.address} answers ping from the monitor.`, `監視サーバーからの ping に ${ctx.address} が応答しています。`) : said(`${ctx.address} does not answer ping from the monitor: "${quoted(ping!.text)}".`, `監視サーバーからの ping に ${ctx.address} が応答しません（「${quoted(ping!.text)}」）。`),
    );
    ports.forEach((port, i) =>
      f.add(
        'connect',
        `TCP ${ctx.address}:${port} from the monitor: ${tcp[i]!.text}`,
        { port, ...tcp[i]! },
        tcp[i]!.answered ? said(`Port ${port} on ${ctx.address} accepts a connection from the monitor.`, `監視サーバーから ${ctx.address} のポート ${port} に接続できます。`) : said(`Port ${port} on ${ctx.address} does not answer from the monitor.`, `監視サーバーから ${ctx.address} のポート ${port} に接続できません。`),
      ),
    );
    const answersSomething = ping!.answered || tcp.some((a) => a.answered);
    let zonesWord: string;
    if (!ctx.zones || ctx.zones.length === 0) {
      zonesWord = 'no other probe location to confirm it';
      f.add('zones', 'no other probe location (zone) is configured: a network problem near the monitor cannot be told apart from the server being down', undefined, said('There is no second monitoring location to confirm it from.', 'ほかの監視拠点がないため、別の場所からは確認できていません。'));
    } else {
      const seen = ctx.zones.filter((z) => z.reachable).map((z) => z.zone);
      zonesWord = seen.length ? `reachable from ${seen.join(', ')}` : `unreachable from ${ctx.zones.map((z) => z.zone).join(', ')} too`;
      for (const z of ctx.zones) f.add('zones', `from ${z.zone}: ${z.reachable ? 'reachable' : 'not reachable'}${z.text ? ` (${z.text})` : ''}`, { ...z }, z.reachable ? said(`From ${z.zone} it can be reached.`, `監視拠点「${z.zone}」からは到達できます。`) : said(`From ${z.zone} it cannot be reached either.`, `監視拠点「${z.zone}」からも到達できません。`));
    }
    if (ctx.consoleUrl) f.add('console', `cloud console: ${ctx.consoleUrl}`, { url: ctx.consoleUrl }, said(`Cloud console: ${ctx.consoleUrl}`, `クラウドの管理画面: ${ctx.consoleUrl}`));
    if (answersSomething) {
      const what = [ping!.answered ? 'ping' : '', ...ports.filter((_, i) => tcp[i]!.answered).map((p) => `TCP ${p}`)].filter(Boolean).join(', ');
      return {
        verdict: `${where} answers again from the monitor (${what})`,
        verdictSay: said(`${where} answers again from the monitor.`, `${where} は監視サーバーから再び応答しています。`),
        evidence: f.items,
        proposed: [],
      };
    }
    const zonesSeeIt = ctx.zones?.some((z) => z.reachable);
    const needed = zonesSeeIt
      ? undefined
      : `${where} cannot be reached. If it is a cloud instance, please check its state${ctx.consoleUrl ? ` in the console (${ctx.consoleUrl})` : " in the provider's console"}; if it was shut down or is being maintained, please tell us.`;
    return {
      verdict: zonesSeeIt
        ? `${where} does not answer from the monitor but is ${zonesWord}: the trouble is likely the network near the monitor`
        : `${where} does not answer: ${ping!.text}${ports.length ? `, no TCP answer on ${ports.join(', ')}` : ''}; ${zonesWord}`,
      verdictSay: zonesSeeIt
        ? said(`${where} does not answer from the monitor but can be reached from another location: the trouble is likely the network near the monitor, not the server.`, `${where} は監視サーバーからは応答しませんが、別の監視拠点からは到達できます。サーバーではなく、監視サーバー側のネットワークの問題と考えられます。`)
        : said(
            `${where} does not answer at all: no reply to ping${ports.length ? ` and no connection on port ${ports.join(', ')}` : ''}${ctx.zones?.length ? ', from any monitoring location' : ''}.`,
            `${where} がまったく応答しません（ping に応答なし${ports.length ? `、ポート ${ports.join('、')} に接続できません` : ''}${ctx.zones?.length ? '。どの監視拠点からも同様です' : ''}）。`,
          ),
      evidence: f.items,
      proposed: [],
      neededFromClient: needed,
      neededSay: needed
        ? said(
            needed,
            `${where} に接続できません。クラウドのインスタンスであれば、${ctx.consoleUrl ? `管理画面（${ctx.consoleUrl}）` : 'プロバイダーの管理画面'}で状態をご確認ください。停止やメンテナンス中であれば、お知らせください。`,
          )
        : undefined,
    };
  },
});
