/**
 * service-down: any other service that does not answer (SMTP, IMAP, SSH, DNS ...): connect to
 * its ports, are they listening, is its process running, what its error log says last. Not
 * running: start it, then check that it answers.
 */
import { daemonVerdict, hungVerdict } from './daemon-check.ts';
import { connectFromMonitor, Findings, lookAtService, recentErrors } from './steps.ts';
import { defineRunbook } from './types.ts';

export default defineRunbook({
  name: 'service-down',
  summary: "the service's ports, process and error log; start it when it is down",
  async run(ctx) {
    const f = new Findings(ctx.clock);
    const words = { label: ctx.service.name, ja: ctx.service.name };
    const answers = await connectFromMonitor(ctx, f);
    const view = await lookAtService(ctx, f);
    const result = daemonVerdict(ctx, f, view, answers, words) ?? hungVerdict(ctx, f, view!, answers, words);
    await recentErrors(ctx, f);
    return result;
  },
});
