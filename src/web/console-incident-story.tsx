/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * An incident told as a story, from its timeline records as the runbooks, actions and guard wrote
 * them: what broke (the plugin's words and the plain words), what mamoru found with its evidence,
 * what it did with the commands it ran, the config change and the backup, what it banned and why.
 * The records are read into sections by the same reading the messages use (notify/templates/
 * sections.ts `gather`), so the page and the message never disagree about what happened; every
 * line is the record's own sentence in the reader's language, else its operator text (English).
 */
import type { FC } from 'hono/jsx';
import type { IncidentMember } from '../core/incident.ts';
import { plainSentence } from '../notify/templates/plain.ts';
import { gather, lineOf, tenseWords, type ActionLine, type DetailRecord, type Told } from '../notify/templates/sections.ts';
import { flag, When, words } from './pages-console-kit.tsx';
import type { Reader } from './reader.ts';
import type { IncidentStory, RecordView } from './types.ts';

const heading = (s: string) => s.replace(/^■\s*/, '').replace(/:$/, '');

/** The record's sentence in the reader's language, or its operator text marked as such. */
const Line: FC<{ t: Told; r: Reader }> = ({ t, r }) => {
  const line = lineOf(t, r.lang, r.zone);
  return line !== undefined ? <span>{line}</span> : <span class="text" lang="en">{t.text}</span>;
};

/** One argument as a POSIX shell reads it back: bare when plainly safe, else in single quotes (a quote inside as '\''); an empty one as ''. */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one line a shell would split back into exactly these arguments. */
export const shellLine = (argv: readonly string[]) => argv.map(shellQuote).join(' ');

const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** The facts a step carries that a person checks: the command, its exit, the change, the backup. */
const Facts: FC<{ d: Record<string, unknown> | undefined; r: Reader }> = ({ d, r }) => {
  if (!d) return null;
  const t = words(r.lang);
  const argv = Array.isArray(d.argv) && d.argv.every((a) => typeof a === 'string') ? (d.argv as string[]) : undefined;
  const change = typeof d.directive === 'string' && d.from !== undefined && d.to !== undefined;
  const file = str(d.real) ?? str(d.file);
  const output = str(d.output);
  return (
    <div class="facts">
      {argv ? (
        <p>
          {t('Command', 'コマンド')}: <code class="argv">{shellLine(argv)}</code>
          {typeof d.exitCode === 'number' ? ` → exit ${d.exitCode}` : ''}
        </p>
      ) : null}
      {change ? (
        <pre class="diff">{`--- ${file ?? '?'}${d.line !== undefined ? `:${str(d.line)}` : ''}\n+++ ${file ?? '?'}\n- ${String(d.directive)} ${str(d.from)}\n+ ${String(d.directive)} ${str(d.to)}`}</pre>
      ) : null}
      {typeof d.backup === 'string' ? (
        <p>
          {t('Backup', 'バックアップ')}: <code>{d.backup}</code>
          {file && !change ? (
            <>
              {' '}
              ({t('of', '元ファイル')} <code>{file}</code>)
            </>
          ) : null}
        </p>
      ) : null}
      {output ? (
        <details>
          <summary>{t('Output', '出力')}</summary>
          <pre class="text">{output.slice(-2000)}</pre>
        </details>
      ) : null}
    </div>
  );
};

/** Evidence as found: its sentence, then its facts on request. */
const Evidence: FC<{ t: Told; r: Reader }> = ({ t, r }) => {
  const { say: _say, neededSay: _n, ...facts } = t.data ?? {};
  const json = Object.keys(facts).length ? JSON.stringify(facts, null, 1).slice(0, 4000) : '';
  return (
    <li>
      <Line t={t} r={r} />
      {json ? (
        <details>
          <summary>{words(r.lang)('Evidence', '根拠')}</summary>
          <pre class="text">{json}</pre>
        </details>
      ) : null}
    </li>
  );
};

const tenseOf = (s: ActionLine['status']) => (s === 'done' || s === 'no-op' ? 'done' : s === 'started' ? 'started' : s === 'pending' ? 'pending' : s === 'dry-run' ? 'dry-run' : 'could-not');

const Action: FC<{ a: ActionLine; r: Reader }> = ({ a, r }) => (
  <li data-action={a.type} data-status={a.status}>
    <b>{tenseWords[r.lang][tenseOf(a.status)].label}</b>
    <Line t={a} r={r} />
    <Facts d={a.data} r={r} />
    {a.steps.length ? (
      <ol class="steps">
        {a.steps.map((s) => (
          <li>
            <Line t={s} r={r} />
            <Facts d={s.data} r={r} />
          </li>
        ))}
      </ol>
    ) : null}
  </li>
);

const Bans: FC<{ records: RecordView[]; r: Reader }> = ({ records, r }) => {
  const t = words(r.lang);
  const bans = records.filter((x) => x.kind === 'ban');
  if (!bans.length) return null;
  return (
    <section id="banned">
      <h2>{t('What mamoru banned, and why', '遮断した送信元と理由')}</h2>
      <ul>
        {bans.map((b) => {
          const d = b.data ?? {};
          return (
            <li>
              <When at={b.at} r={r} /> <Line t={{ text: b.text, data: d, say: d.say as Told['say'] }} r={r} />
              {typeof d.address === 'string' ? (
                <span class="quiet">
                  {' '}
                  {t('jail', 'ジェイル')} {str(d.jail)}
                  {typeof d.failures === 'number' ? ` · ${t(`${d.failures} failures`, `失敗 ${d.failures} 回`)}` : ''}
                  {typeof d.until === 'number' ? (
                    <>
                      {' '}
                      · {t('until', '解除予定')} <When at={d.until} r={r} />
                    </>
                  ) : null}
                </span>
              ) : null}
              {typeof d.line === 'string' ? <pre class="text logline">{d.line}</pre> : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
};

/** Who the banned addresses are (the enrichment records: `who is ...`). */
const WhoIs: FC<{ records: RecordView[]; r: Reader }> = ({ records, r }) => {
  const who = records.filter((x) => x.kind === 'evidence' && typeof x.data?.address === 'string' && typeof x.data?.source === 'string');
  if (!who.length) return null;
  return (
    <ul id="who-is">
      {who.map((w) => {
        const d = w.data!;
        return (
          <li>
            <code>{String(d.address)}</code> {flag(str(d.country))} {str(d.country) ?? ''} {str(d.countryName) ?? ''} {str(d.owner) ? `· ${str(d.owner)}` : ''} {str(d.network) ? `· ${str(d.network)}` : ''}
          </li>
        );
      })}
    </ul>
  );
};

export const Story: FC<{ s: IncidentStory; r: Reader }> = ({ s, r }) => {
  const t = words(r.lang);
  const w = tenseWords[r.lang];
  const detail: DetailRecord[] = s.records.filter((x) => x.kind === 'evidence' || x.kind === 'action' || x.kind === 'escalated').map((x) => ({ kind: x.kind as DetailRecord['kind'], text: x.text, data: x.data, at: x.at }));
  const report = gather(detail);
  const byTense = (tense: string) => report.actions.filter((a) => tenseOf(a.status) === tense);
  return (
    <div class="story">
      <section id="what-broke">
        <h2>{t('What broke', '何が起きたか')}</h2>
        {s.members.length === 0 ? <p>{s.kind === 'attack' ? <b>{t(`mamoru blocked an attack on ${s.target}.`, `${s.target} への攻撃を mamoru が遮断しました。`)}</b> : s.title}</p> : null}
        <ul>
          {s.members.map((m) => (
            <li data-member={m.key}>
              <b>{plainSentence(m as IncidentMember, s.target, r.lang)}</b>
              <br />
              <span class="quiet">{t("The check's own words", 'チェックの出力')}: </span>
              <code class="text">{m.text}</code> <span class="quiet">({m.state}, {t('since', '発生')} <When at={m.since} r={r} />
              {m.recoveredAt !== undefined ? (
                <>
                  , {t('recovered', '復旧')} <When at={m.recoveredAt} r={r} />
                </>
              ) : null}
              )</span>
            </li>
          ))}
        </ul>
      </section>
      {report.found.length ? (
        <section id="found">
          <h2>{heading(w.found.heading)}</h2>
          <ul>
            {report.found.map((f) => (
              <Evidence t={f} r={r} />
            ))}
          </ul>
        </section>
      ) : null}
      {(['done', 'started', 'pending', 'dry-run', 'could-not'] as const).map((tense) =>
        byTense(tense).length ? (
          <section id={`actions-${tense}`}>
            <h2>{heading(w[tense].heading)}</h2>
            <ul>
              {byTense(tense).map((a) => (
                <Action a={a} r={r} />
              ))}
            </ul>
          </section>
        ) : null,
      )}
      {report.loose.length ? (
        <section id="steps">
          <h2>{heading(w.steps.heading)}</h2>
          <ul>
            {report.loose.map((x) => (
              <li>
                <Line t={x} r={r} />
                <Facts d={x.data} r={r} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {report.needed.length || report.personNeeded ? (
        <section id="needed">
          <h2>{heading(report.needed.length ? w.needed.heading : w.person.heading)}</h2>
          <ul>
            {[...report.needed, ...report.person].map((x) => (
              <li>
                <Line t={x} r={r} />
              </li>
            ))}
            {report.personNeeded && !report.person.length ? <li>{t('A person must look at the server.', '担当者によるサーバーの確認が必要です。')}</li> : null}
          </ul>
        </section>
      ) : null}
      <Bans records={s.records} r={r} />
      <WhoIs records={s.records} r={r} />
    </div>
  );
};
