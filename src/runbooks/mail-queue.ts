/**
 * mail-queue: the queue is above its threshold. Read it (`postqueue -p`, or the configured
 * listing), and say how many wait, who sent the most and why they are not leaving. One sender
 * with most of the queue is the usual sign of a hacked account or website sending spam: only the
 * client can tell, so that is what is asked of them.
 */
import { formatBytes, plural } from '../inspect/types.ts';
import { parseQueueSliced, tally } from './mail-queue-parse.ts';
import { Findings } from './steps.ts';
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
      f.add('queue', `${argv.join(' ')} failed on ${ctx.executor.name}: ${r.timedOut ? 'timed out' : r.stderr.trim() || `exit ${r.code}`}`, { argv, exitCode: r.code });
      return { verdict: `the mail queue on ${where} could not be read`, evidence: f.items, proposed: [] };
    }
    const q = await parseQueueSliced(r.stdout);
    const n = q.stated ?? q.entries.length;
    const bytes = q.entries.reduce((s, e) => s + e.size, 0);
    f.add('queue', q.empty ? `the mail queue on ${where} is empty` : `${plural(n, 'message')} in the queue (${formatBytes(bytes)}; ${plural(q.entries.filter((e) => e.state === 'active').length, 'being delivered', 'being delivered')}, ${q.entries.filter((e) => e.state === 'hold').length} on hold)`, {
      messages: n,
      bytes,
      truncated: r.truncated,
    });
    if (q.empty) return { verdict: `the mail queue on ${where} is empty now`, evidence: f.items, proposed: [] };
    const senders = tally(q.entries, (e) => e.sender);
    const reasons = tally(q.entries, (e) => e.reason);
    f.add('senders', `top senders: ${senders.slice(0, 5).map((s) => `${s.key} ${s.count}`).join(', ')}`, { senders: senders.slice(0, 20) });
    if (reasons.length) f.add('reasons', `deferred because: ${reasons.slice(0, 3).map((s) => `"${s.key}" ${s.count}`).join(', ')}`, { reasons: reasons.slice(0, 20) });
    const top = senders[0]!;
    const why = reasons[0];
    const flood = top.count >= 20 && top.count / q.entries.length >= 0.5;
    return {
      verdict: `${plural(n, 'message')} in the mail queue on ${where}; top sender ${top.key} (${top.count})${why ? `; most deferred because "${why.key}" (${why.count})` : ''}`,
      evidence: f.items,
      proposed: [],
      neededFromClient: flood
        ? `${top.key} has ${top.count} of the ${n} messages waiting on ${where}. If that address did not send them, its password or the website using it may have been taken over to send spam: please check and change the password.`
        : why
          ? `Mail from ${where} is not leaving: "${why.key}". Please check whether the receiving side is refusing it.`
          : undefined,
    };
  },
});
