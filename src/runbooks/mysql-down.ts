/**
 * mysql-down: MySQL (or MariaDB) does not answer. Is port 3306 listening, is mysqld running
 * (`ps auxww | grep mysql`)? Not running: start it (`/etc/init.d/mysql start`, systemd, or the
 * configured command), with the last lines of its error log as the reason it stopped.
 */
import { daemonVerdict, hungVerdict } from './daemon-check.ts';
import { connectFromMonitor, Findings, lookAtService, recentErrors } from './steps.ts';
import { defineRunbook } from './types.ts';

const words = { label: 'MySQL', ja: 'MySQL' };

export default defineRunbook({
  name: 'mysql-down',
  summary: 'port 3306 listening, mysqld running; start it when it is down',
  async run(ctx) {
    const f = new Findings(ctx.clock);
    const answers = await connectFromMonitor(ctx, f);
    const view = await lookAtService(ctx, f);
    const result = daemonVerdict(ctx, f, view, answers, words) ?? hungVerdict(ctx, f, view!, answers, words);
    if (result.proposed.length > 0) await recentErrors(ctx, f);
    return result;
  },
});
