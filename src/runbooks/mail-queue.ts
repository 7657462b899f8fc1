/**
 * mail-queue: the queue is above its threshold. Read it (`postqueue -p`, or the configured
 * listing), and say how many wait, who sent the most and why they are not leaving. One sender
 * with most of the queue is the usual sign of a hacked account or website sending spam: only the
 * client can tell, so that is what is asked of them.
 */
import { formatBytes, plural } from '../inspect/types.ts';
import { parseQueueSliced, tally } from './mail-queue-parse.ts';
import { said } from '../core/said.ts';
import { couldNot, Findings, quoted } from './steps.ts';
import { defineRunbook, targetName } from './types.ts';

export default defineRunbook({
  name: 'mail-queue',
  summary: 'queue size, top senders and deferral reasons',
  async run(ctx) {
    const f = new Findings(ctx.clock);
    const where = targetName(ctx);
    const argv = ctx.service.mail_queue;
    const r = await ctx.executor.run(argv, { timeoutMs: ctx.service.command_timeout, maxOutputBytes: 32 * 1024 * 1024 });
    if (r.code !== 0 && !r.stdout.trim()) {
      f.add('queue', `${argv.join(' ')} failed on ${ctx.executor.name}: ${r.timedOut ? 'timed out' : r.stderr.trim() || `exit ${r.code}`}`, { argv, exitCode: r.code }, couldNot('queue'));
      return {
        verdict: `the mail queue on ${where} could not be read`,
        verdictSay: said(`mamoru could not read the mail queue on ${where}.`, `${where} のメールキューを読み取れませんでした。`),
        evidence: f.items,
        proposed: [],
      };
    }
    const q = await parseQueueSliced(r.stdout);
    const n = q.stated ?? q.entries.length;
    const bytes = q.entries.reduce((s, e) => s + e.size, 0);
    const active = q.entries.filter((e) => e.state === 'active').length;
    const hold = q.entries.filter((e) => e.state === 'hold').length;
    f.add(
      'queue',
      q.empty ? `the mail queue on ${where} is empty` : `${plural(n, 'message')} in the queue (${formatBytes(bytes)}; ${plural(active, 'being delivered', 'being delivered')}, ${hold} on hold)`,
      { messages: n, bytes, truncated: r.truncated },
      q.empty ? said(`The mail queue on ${where} is empty.`, `${where} のメールキューは空です。`) : said(`${plural(n, 'message')} wait in the queue (${formatBytes(bytes)}; ${active} being delivered, ${hold} on hold).`, `キューに ${n.toLocaleString('ja-JP')} 通のメールが溜まっています（${formatBytes(bytes)}、配送中 ${active} 通、保留 ${hold} 通）。`),
    );
    if (q.empty) {
      return {
        verdict: `the mail queue on ${where} is empty now`,
        verdictSay: said(`The mail queue on ${where} is empty now.`, `${where} のメールキューは現在空です。`),
        evidence: f.items,
        proposed: [],
      };
    }
    const senders = tally(q.entries, (e) => e.sender);
    const reasons = tally(q.entries, (e) => e.reason);
    const topEn = senders.slice(0, 5).map((s) => `${s.key} ${s.count}`).join(', ');
    const topJa = senders.slice(0, 5).map((s) => `${s.key}（${s.count} 通）`).join('、');
    f.add('senders', `top senders: ${topEn}`, { senders: senders.slice(0, 20) }, said(`Most messages are from: ${topEn}.`, `送信元の多い順: ${topJa}。`));
    if (reasons.length) {
      const rEn = reasons.slice(0, 3).map((s) => `"${quoted(s.key)}" ${s.count}`).join(', ');
      const rJa = reasons.slice(0, 3).map((s) => `「${quoted(s.key)}」${s.count} 通`).join('、');
      f.add('reasons', `deferred because: ${reasons.slice(0, 3).map((s) => `"${s.key}" ${s.count}`).join(', ')}`, { reasons: reasons.slice(0, 20) }, said(`Delivery is deferred because: ${rEn}.`, `配送が保留されている理由: ${rJa}。`));
    }
    const top = senders[0]!;
    const why = reasons[0];
    const flood = top.count >= 20 && top.count / q.entries.length >= 0.5;
    const needed = flood
      ? `${top.key} has ${top.count} of the ${n} messages waiting on ${where}. If that address did not send them, its password or the website using it may have been taken over to send spam: please check and change the password.`
      : why
        ? `Mail from ${where} is not leaving: "${why.key}". Please check whether the receiving side is refusing it.`
        : undefined;
    const neededJa = flood
      ? `${where} で送信待ちの ${n.toLocaleString('ja-JP')} 通のうち ${top.count.toLocaleString('ja-JP')} 通が ${top.key} からのものです。このアドレスから送った覚えがなければ、パスワードや利用しているウェブサイトが乗っ取られ、迷惑メールの送信に使われている可能性があります。ご確認のうえ、パスワードを変更してください。`
      : why
        ? `${where} からのメールが送信されていません（「${quoted(why.key)}」）。受信側で拒否されていないかご確認ください。`
        : undefined;
    return {
      verdict: `${plural(n, 'message')} in the mail queue on ${where}; top sender ${top.key} (${top.count})${why ? `; most deferred because "${why.key}" (${why.count})` : ''}`,
      verdictSay: said(
        `${plural(n, 'message')} wait in the mail queue on ${where}; the most are from ${top.key} (${top.count})${why ? `, and most are deferred because "${quoted(why.key)}"` : ''}.`,
        `${where} のメールキューに ${n.toLocaleString('ja-JP')} 通が溜まっています。最も多い送信元は ${top.key}（${top.count} 通）です${why ? `。主な保留理由:「${quoted(why.key)}」` : ''}。`,
      ),
      evidence: f.items,
      proposed: [],
      neededFromClient: needed,
      neededSay: needed && neededJa ? said(needed, neededJa) : undefined,
    };
  },
});
