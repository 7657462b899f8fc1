/**
 * http-down: the page does not load (refused). As the field runbook does it: open the page by IP
 * and by domain, see whether the web port listens and Apache's master runs. Not running: start
 * it. Running but not listening: restart it. Running, listening, yet not answering: the workers
 * and who holds them (apache-load.ts), since a full house refuses too.
 */
import { isApache } from '../actions/service-config.ts';
import { apacheLoad } from './apache-load.ts';
import { daemonVerdict, hungVerdict } from './daemon-check.ts';
import { Findings, lookAtService, openPages, recentErrors } from './steps.ts';
import { said } from '../core/said.ts';
import { defineRunbook, targetName } from './types.ts';

export default defineRunbook({
  name: 'http-down',
  summary: 'page by IP and domain, port listening, master process; start Apache when it is down',
  async run(ctx) {
    const f = new Findings(ctx.clock);
    const answers = await openPages(ctx, f);
    const view = await lookAtService(ctx, f);
    const label = isApache(ctx.service) ? 'Apache' : ctx.service.name;
    const simple = daemonVerdict(ctx, f, view, answers, { label, ja: label, noProcess: 'no master process' });
    if (simple?.proposed.some((p) => p.type === 'start-service' || p.type === 'restart-service')) await recentErrors(ctx, f);
    if (simple) return simple;
    // Workers and their limit are Apache's; another web server gets the plain "runs but does not answer".
    if (!isApache(ctx.service)) return hungVerdict(ctx, f, view!, answers, { label: ctx.service.name, ja: ctx.service.name });
    const load = await apacheLoad(ctx, f, 'Apache');
    if (!load.verdict.startsWith('workers')) return load;
    const where = targetName(ctx);
    return {
      ...load,
      verdict: `the page does not load on ${where}: ${load.verdict}`,
      verdictSay: said(`The page on ${where} does not load. ${load.verdictSay.en}`, `${where} のページが開けません。${load.verdictSay.ja}`),
    };
  },
});
