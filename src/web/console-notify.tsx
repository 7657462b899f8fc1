/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The notifications page: every message mamoru sent (or is sending, or gave up on), to whom, by
 * which channel, and each attempt with its answer; the contacts with "send a test message".
 */
import type { FC } from 'hono/jsx';
import { allows } from '../auth/types.ts';
import { Csrf, NoteLine, When, words, type C } from './pages-console-kit.tsx';
import type { Reader } from './reader.ts';
import type { ContactView, DeliveryView } from './types.ts';

const Status: FC<{ d: DeliveryView; r: Reader }> = ({ d, r }) => {
  const t = words(r.lang);
  if (d.status === 'delivered') return <span class="badge bg-ok">{t('delivered', '配信済み')}</span>;
  if (d.status === 'sending') return <span class="badge bg-other">{t('sending', '送信中')}</span>;
  return <span class="badge bg-critical">{t('failed', '失敗')}</span>;
};

export const NotificationsPage: FC<{ c: C; r: Reader; deliveries: DeliveryView[]; contacts: ContactView[] }> = ({ c, r, deliveries, contacts }) => {
  const t = words(r.lang);
  const operate = allows(r.role, 'operator') && !!r.csrf;
  return (
    <div>
      <h1>{t('Notifications', '通知')}</h1>
      <NoteLine c={c} r={r} />
      <section data-live="notifications" data-live-on="delivery incident">
        <h2>{t('Messages', 'メッセージ')}</h2>
        {deliveries.length === 0 ? (
          <p class="quiet" id="deliveries">
            {t('No message has been sent yet.', 'まだメッセージは送信されていません。')}
          </p>
        ) : (
          <table id="deliveries">
            <thead>
              <tr>
                <th>{t('When', '日時')}</th>
                <th>{t('Incident', 'インシデント')}</th>
                <th>{t('To', '宛先')}</th>
                <th>{t('Channel', 'チャネル')}</th>
                <th>{t('Message', 'メッセージ')}</th>
                <th>{t('Delivered', '配信')}</th>
                <th>{t('Attempts', '試行')}</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr data-status={d.status} data-contact={d.contact}>
                  <td>
                    <When at={d.at} r={r} />
                  </td>
                  <td>
                    <a href={`/incidents/${d.incident}`}>#{d.incident}</a> {d.target}
                  </td>
                  <td>{d.contact}</td>
                  <td>{d.channel}</td>
                  <td class="text">{d.subject}</td>
                  <td>
                    <Status d={d} r={r} />
                    {d.error ? <div class="text error">{d.error}</div> : null}
                  </td>
                  <td>
                    {d.attempts.length > 1 || d.attempts.some((a) => !a.ok) ? (
                      <details>
                        <summary>{d.attempts.length}</summary>
                        <ol>
                          {d.attempts.map((a) => (
                            <li>
                              <When at={a.at} r={r} /> {a.ok ? 'OK' : 'FAIL'}
                              {a.status !== undefined ? ` ${a.status}` : ''}
                              {a.error ? <span class="text"> {a.error}</span> : null}
                            </li>
                          ))}
                        </ol>
                      </details>
                    ) : (
                      String(d.attempts.length || '—')
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {contacts.length ? (
        <section>
          <h2>{t('Contacts', '連絡先')}</h2>
          <table id="contacts">
            <thead>
              <tr>
                <th>{t('Contact', '連絡先')}</th>
                <th>{t('Language', '言語')}</th>
                <th>{t('Watches', '対象')}</th>
                <th>{t('Channels', 'チャネル')}</th>
                {operate ? <th></th> : null}
              </tr>
            </thead>
            <tbody>
              {contacts.map((k) => (
                <tr data-contact={k.name}>
                  <td>{k.name}</td>
                  <td>{k.language}</td>
                  <td>{k.targets.length || k.tags.length ? [...k.targets, ...k.tags.map((x) => `tag:${x}`)].join(', ') : t('every target', 'すべての対象')}</td>
                  <td>{k.channels.join(', ')}</td>
                  {operate ? (
                    <td>
                      <form method="post" action="/notifications/test">
                        <Csrf r={r} />
                        <input type="hidden" name="contact" value={k.name} />
                        <button type="submit">{t('Send a test message', 'テスト送信')}</button>
                      </form>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </div>
  );
};
