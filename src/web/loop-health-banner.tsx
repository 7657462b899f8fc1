/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The overview's warning that checks run late (the scheduler's lag p99 over the last minute past
 * 1 s, loop-health.ts): a monitor that falls behind says so before its checks go stale.
 */
import type { FC } from 'hono/jsx';
import { said } from '../core/said.ts';
import { say, type Lang } from './i18n.ts';
import { LATE_DOCS, lateSeconds } from './loop-health.ts';

const W = {
  late: (s: string) => said(`Checks are running late: p99 ${s} s; the machine is overloaded.`, `チェックの実行が遅れています: p99 ${s} 秒。マシンが過負荷です。`),
  // The docs are not served by the daemon: name the section where the operator finds them.
  what: said(`What to do: “When checks run late” in ${LATE_DOCS.split('#')[0]}.`, `対処方法: ${LATE_DOCS.split('#')[0]} の「When checks run late」。`),
} as const;

/** Nothing while checks start on time; `p99Ms` is the lag p99 over the last minute when it passed 1 s. */
export const LateBanner: FC<{ p99Ms: number | undefined; lang: Lang }> = ({ p99Ms, lang }) =>
  p99Ms === undefined ? null : (
    <p class="error" role="alert" id="late-banner">
      {say(lang, W.late(lateSeconds(p99Ms)))} {say(lang, W.what)}
    </p>
  );
