/**
 * http-slow: the page is slow or times out. Open it (timed) by IP and by domain, make sure Apache
 * runs and listens (a stopped one is started, as in http-down), then count the workers against
 * the limit and see who holds them: a surge gets one step more of the limit, an attack does not
 * (its sources go to the guard), and free workers mean the slowness is elsewhere.
 */
import { isApache } from '../actions/service-config.ts';
import { apacheLoad } from './apache-load.ts';
import { daemonVerdict, hungVerdict } from './daemon-check.ts';
import { Findings, lookAtService, openPages, recentErrors } from './steps.ts';
import { defineRunbook } from './types.ts';

export default defineRunbook({
  name: 'http-slow',
  summary: 'page timing, workers against the limit, who holds them: surge (raise the limit) or attack (guard)',
  async run(ctx) {
    const f = new Findings(ctx.clock);
    const answers = await openPages(ctx, f);
    const view = await lookAtService(ctx, f);
    const label = isApache(ctx.service) ? 'Apache' : ctx.service.name;
    const simple = daemonVerdict(ctx, f, view, answers, { label, ja: label, noProcess: 'no master process' });
    // A server that is down or half up is that problem first; one that answers in time still gets its workers looked at.
    if (simple && simple.proposed.length > 0) {
      await recentErrors(ctx, f);
      return simple;
    }
    if (simple && (!view || !view.master.master)) return simple;
    // Workers and their limit are Apache's; another web server gets what was seen.
    if (!isApache(ctx.service)) return simple ?? hungVerdict(ctx, f, view!, answers, { label, ja: label });
    return apacheLoad(ctx, f, 'Apache');
  },
});
