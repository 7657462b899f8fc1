/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * One incident's page: its headline and state, the story (console-incident-story.tsx), the
 * actions waiting for a yes or no with exactly what they will run, who was told what and whether
 * it arrived, the whole timeline, and the forms an operator uses (acknowledge with a comment, a
 * note, approve or deny).
 */
import type { FC } from 'hono/jsx';
import { allows } from '../auth/types.ts';
import { said, type Said } from '../core/said.ts';
import { say } from './i18n.ts';
import { shellLine, Story } from './console-incident-story.tsx';
import { Csrf, NoteLine, Severity, When, words, type C } from './pages-console-kit.tsx';
import type { Reader } from './reader.ts';
import type { ApprovalView, IncidentStory, RecordView } from './types.ts';

/** Who acknowledged and with what words, from the timeline. */
export function acknowledgement(s: IncidentStory): RecordView | undefined {
  return [...s.records].reverse().find((x) => x.kind === 'acknowledged');
}

/** The approvals of this incident: those its records asked for (`data.approvalId`). */
export function approvalsOf(s: IncidentStory, pending: ApprovalView[]): ApprovalView[] {
  const asked = new Set(s.records.map((x) => x.data?.approvalId).filter((x): x is string => typeof x === 'string'));
  return pending.filter((a) => asked.has(a.id));
}

/** Step names as the reader reads them. */
const stepWords: Record<string, Said> = {
  start: said('Start', '起動'),
  stop: said('Stop', '停止'),
  restart: said('Restart', '再起動'),
  reload: said('Reload', '再読み込み'),
  'config test': said('Config test', '設定テスト'),
};

/** Exactly what an approval runs and changes: each command's arguments one by one (and as a shell would read them), each file's change with its backup. */
const Plan: FC<{ a: ApprovalView; r: Reader }> = ({ a, r }) => {
  const t = words(r.lang);
  const plan = a.plan!;
  return (
    <div class="plan">
      {plan.commands.length ? (
        <ol class="commands">
          {plan.commands.map((c) => (
            <li class="command" data-step={c.step}>
              <b>{stepWords[c.step] ? say(r.lang, stepWords[c.step]!) : c.step}</b>
              {c.candidates.length === 0 ? <span class="quiet"> {t('(no command configured)', '（コマンド未設定）')}</span> : null}
              {c.candidates.map((argv, i) => (
                <div class="candidate" data-candidate={i}>
                  {i > 0 ? <p class="quiet">{t('only if the one above is missing on the server:', '上のコマンドがサーバーにない場合のみ:')}</p> : null}
                  <ol class="argv" start={0} title={t('each argument exactly as passed, never split again by a shell', '引数ひとつずつ（シェルで分割し直さずそのまま渡します）')}>
                    {argv.map((arg) => (
                      <li>{arg === '' ? <i>{t('(an empty argument)', '（空の引数）')}</i> : <code>{arg}</code>}</li>
                    ))}
                  </ol>
                  <p>
                    {t('As a shell would read it:', 'シェル表記:')} <code class="shell">{shellLine(argv)}</code>
                  </p>
                </div>
              ))}
            </li>
          ))}
        </ol>
      ) : null}
      {plan.changes.map((ch) => (
        <div class="change" data-file={ch.file}>
          <p>
            {t('Changes', '変更するファイル')} <code>{ch.file}{ch.line !== undefined ? `:${ch.line}` : ''}</code>
          </p>
          <pre class="diff">{`- ${ch.directive} ${ch.from}\n+ ${ch.directive} ${ch.to}`}</pre>
          {ch.approximate ? <p class="quiet">{t('The new value is worked out again when it runs (free memory, ServerLimit); about this.', '新しい値は実行時に（空きメモリと ServerLimit から）再計算します。目安です。')}</p> : null}
          <p>
            {t('Backup first, to', '変更前のバックアップ先')} <code class="backup">{ch.backup}</code>
          </p>
        </div>
      ))}
    </div>
  );
};

export const Approvals: FC<{ list: ApprovalView[]; s: IncidentStory; r: Reader; operate: boolean }> = ({ list, s, r, operate }) => {
  const t = words(r.lang);
  if (!list.length) return null;
  return (
    <section id="approvals" class="approvals">
      <h2>{t('Waiting for your yes or no', '承認待ちの対応')}</h2>
      {list.map((a) => {
        return (
          <div class="approval" data-approval={a.id}>
            <p>
              <b>{a.action}</b> {t('on', '対象')} <b>{a.target}</b> / {a.service} · {t('asked', '依頼')} <When at={a.requested_at} r={r} /> · {t('expires', '期限')} <When at={a.expires_at} r={r} />
            </p>
            {a.plan ? (
              <>
                <p class="text" id={`approval-${a.id}-text`}>
                  {a.text}
                </p>
                <p>{t('It will run exactly these commands, each argument as listed (never split again by a shell), and change exactly this:', '実行するコマンド（引数はこの一覧のとおり、シェルで分割し直さずに渡します）と変更内容:')}</p>
                <Plan a={a} r={r} />
              </>
            ) : (
              <>
                <p>{t('It will run and change exactly this:', '実行されるコマンドと変更内容:')}</p>
                <pre class="text argv" id={`approval-${a.id}-text`}>
                  {a.text}
                </pre>
              </>
            )}
            {operate ? (
              <div class="decide">
                <form method="post" action={`/incidents/${s.id}/approvals/${a.id}/approve`}>
                  <Csrf r={r} />
                  <button type="submit" name="decision" value="approve">
                    {t('Approve and run', '承認して実行')}
                  </button>
                </form>{' '}
                <form method="post" action={`/incidents/${s.id}/approvals/${a.id}/deny`}>
                  <Csrf r={r} />
                  <button type="submit" name="decision" value="deny">
                    {t('Deny', '却下')}
                  </button>
                </form>
              </div>
            ) : null}
          </div>
        );
      })}
    </section>
  );
};

const Told: FC<{ s: IncidentStory; r: Reader }> = ({ s, r }) => {
  const t = words(r.lang);
  const told = s.records.filter((x) => x.kind === 'notified' || x.kind === 'notify-failed');
  return (
    <section id="told">
      <h2>{t('Who was told', '通知先')}</h2>
      {told.length === 0 ? (
        <p class="quiet">{t('Nobody was told yet.', 'まだ誰にも通知していません。')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>{t('When', '日時')}</th>
              <th>{t('Contact', '連絡先')}</th>
              <th>{t('Channel', 'チャネル')}</th>
              <th>{t('Message', 'メッセージ')}</th>
              <th>{t('Delivered', '配信')}</th>
            </tr>
          </thead>
          <tbody>
            {told.map((x) => {
              const d = x.data ?? {};
              const attempts = Array.isArray(d.attempts) ? d.attempts.length : 0;
              return (
                <tr data-delivery={x.kind}>
                  <td>
                    <When at={x.at} r={r} />
                  </td>
                  <td>{String(d.contact ?? '?')}</td>
                  <td>{String(d.channel ?? '?')}</td>
                  <td class="text">{String(d.subject ?? x.text)}</td>
                  <td>
                    {x.kind === 'notified' ? <span class="badge bg-ok">{t('delivered', '配信済み')}</span> : <span class="badge bg-critical">{t('failed', '失敗')}</span>}
                    {attempts > 1 ? ` ${t(`after ${attempts} attempts`, `${attempts} 回目で`)}` : ''}
                    {x.kind === 'notify-failed' ? <div class="text">{x.text}</div> : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
};

/** What each kind of timeline record is called. */
const KINDS: Record<string, Said> = {
  opened: said('opened', '発生'),
  problem: said('problem', '障害'),
  recovered: said('recovered', '復旧'),
  resolved: said('resolved', '解決'),
  reopened: said('reopened', '再発'),
  suppressed: said('suppressed', '抑制'),
  acknowledged: said('acknowledged', '確認済み'),
  escalated: said('escalated', 'エスカレーション'),
  reminder: said('reminder', 'リマインダー'),
  flapping: said('flapping', 'フラッピング'),
  downtime: said('downtime', 'メンテナンス'),
  evidence: said('found', '調査'),
  action: said('action', '対応'),
  ban: said('ban', '遮断'),
  linked: said('linked', '関連付け'),
  comment: said('note', 'メモ'),
  notified: said('told', '通知'),
  'notify-failed': said('not delivered', '通知失敗'),
};

const Timeline: FC<{ s: IncidentStory; r: Reader }> = ({ s, r }) => (
  <section id="timeline">
    <h2>{words(r.lang)('The whole timeline', 'タイムライン全体')}</h2>
    <table>
      <tbody>
        {s.records.map((x) => (
          <tr data-kind={x.kind}>
            <td>
              <When at={x.at} r={r} />
            </td>
            <td>{KINDS[x.kind] ? say(r.lang, KINDS[x.kind]!) : x.kind}</td>
            <td class="text">{x.text}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </section>
);

export const IncidentPage: FC<{ c: C; s: IncidentStory; approvals: ApprovalView[]; r: Reader }> = ({ c, s, approvals, r }) => {
  const t = words(r.lang);
  const operate = allows(r.role, 'operator') && !!r.csrf;
  const ack = acknowledgement(s);
  return (
    <div>
      <p>
        <a href="/incidents">← {t('Incidents', 'インシデント')}</a>
      </p>
      <div data-live="incident-head" data-live-incident={String(s.id)} data-live-on="incident">
        <h1>
          <Severity s={s.severity} /> #{s.id} {s.title}
        </h1>
        <p class="sub" id="incident-state">
          {s.status === 'open' ? t('Open', '未解決') : t('Resolved', '解決済み')} · {s.kind === 'attack' ? t('attack', '攻撃') : t('outage', '障害')} · {s.target} · {t('opened', '発生')} <When at={s.openedAt} r={r} />
          {s.resolvedAt !== null ? (
            <>
              {' '}
              · {t('resolved', '解決')} <When at={s.resolvedAt} r={r} />
            </>
          ) : null}
          {ack ? (
            <>
              {' '}
              · <b id="acknowledged">{t(`acknowledged by ${String(ack.data?.by ?? '?')}`, `確認済み（${String(ack.data?.by ?? '?')}）`)}</b>
              {typeof ack.data?.comment === 'string' && ack.data.comment ? <span>: “{ack.data.comment}”</span> : null}
            </>
          ) : null}
        </p>
        {s.links.length ? (
          <p id="links">
            {s.links.map((l) => (
              <span>
                {l.relation === 'explains' ? t('Explains', '関連する障害') : t('Explained by', '原因となった攻撃')} <a href={`/incidents/${l.incident}`}>#{l.incident}</a> ({l.why}){' '}
              </span>
            ))}
          </p>
        ) : null}
        <Approvals list={approvals} s={s} r={r} operate={operate} />
      </div>
      <NoteLine c={c} r={r} />
      <div data-live="incident-story" data-live-incident={String(s.id)} data-live-on="incident delivery">
        <Story s={s} r={r} />
        <Told s={s} r={r} />
      </div>
      {operate ? (
        <section id="act">
          {s.status === 'open' && !ack ? (
            <form method="post" action={`/incidents/${s.id}/ack`} class="stack">
              <Csrf r={r} />
              <label for="ack-comment">{t('Acknowledge (stops reminders and escalations until it recovers)', '確認済みにする（復旧までリマインダーとエスカレーションを止めます）')}</label>
              <input id="ack-comment" name="comment" maxlength={500} placeholder={t('comment for the team and the client', 'チームとお客様へのコメント')} />
              <button type="submit">{t('Acknowledge', '確認済みにする')}</button>
            </form>
          ) : null}
          <form method="post" action={`/incidents/${s.id}/notes`} class="stack">
            <Csrf r={r} />
            <label for="note-text">{t('Add a note to the timeline (never sent to contacts)', 'タイムラインにメモを追加（連絡先には送信されません）')}</label>
            <textarea id="note-text" name="text" maxlength={2000} rows={2}></textarea>
            <button type="submit">{t('Add note', 'メモを追加')}</button>
          </form>
        </section>
      ) : null}
      <div data-live="incident-timeline" data-live-incident={String(s.id)} data-live-on="incident delivery">
        <Timeline s={s} r={r} />
      </div>
    </div>
  );
};
