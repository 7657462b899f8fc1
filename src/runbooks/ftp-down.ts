/**
 * ftp-down: the FTP server does not answer. Connect and read the greeting (`ftp IP`), is port 21
 * listening, is vsftpd running? Not running: start it, then read the greeting again.
 */
import { daemonVerdict, hungVerdict } from './daemon-check.ts';
import { connectFromMonitor, Findings, lookAtService, recentErrors } from './steps.ts';
import { defineRunbook } from './types.ts';

export default defineRunbook({
  name: 'ftp-down',
  summary: 'FTP greeting, port 21 listening, vsftpd running; start it when it is down',
  async run(ctx) {
    const f = new Findings(ctx.clock);
    const words = { label: `the FTP server (${ctx.service.name})`, ja: `FTP サーバー（${ctx.service.name}）` };
    const answers = await connectFromMonitor(ctx, f, 'ftp');
    const view = await lookAtService(ctx, f);
    const result = daemonVerdict(ctx, f, view, answers, words) ?? hungVerdict(ctx, f, view!, answers, words);
    if (result.proposed.length > 0) await recentErrors(ctx, f);
    return result;
  },
});
