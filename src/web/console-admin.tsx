/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The admin's pages: the audit trail (who did what, from where) and users with their API tokens:
 * add and remove users, create a token (shown once, on the answer to the form) and revoke one.
 */
import type { FC } from 'hono/jsx';
import type { AuditRecord, Scope, TokenRecord, UserRecord } from '../auth/types.ts';
import { Csrf, Next, NoteLine, When, words, type C } from './pages-console-kit.tsx';
import type { Reader } from './reader.ts';

const scopeText = (s: Scope, all: string) => (s === null ? all : [...s.targets, ...s.tags.map((x) => `tag:${x}`)].join(', '));

export const AuditPage: FC<{ r: Reader; rows: AuditRecord[]; next: string | null }> = ({ r, rows, next }) => {
  const t = words(r.lang);
  return (
    <div>
      <h1>{t('Audit trail', '監査ログ')}</h1>
      <table id="audit">
        <thead>
          <tr>
            <th>{t('When', '日時')}</th>
            <th>{t('Who', '実行者')}</th>
            <th>{t('From', '接続元')}</th>
            <th>{t('What', '操作')}</th>
            <th>{t('On', '対象')}</th>
            <th>{t('Detail', '詳細')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((a) => (
            <tr data-action={a.action}>
              <td>
                <When at={a.at} r={r} />
              </td>
              <td>{a.actor}</td>
              <td>{a.address ?? t('this machine', 'このマシン')}</td>
              <td>{a.action}</td>
              <td>{a.subject}</td>
              <td class="text">{a.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Next path="/audit" params={{}} cursor={next} r={r} />
    </div>
  );
};

const RoleSelect: FC<{ r: Reader; tokens?: boolean }> = ({ r, tokens }) => {
  const t = words(r.lang);
  return (
    <select name="role">
      <option value="viewer">{t('viewer (reads)', '閲覧者')}</option>
      <option value="operator">{t('operator (acts)', 'オペレーター')}</option>
      <option value="admin">{t('admin', '管理者')}</option>
      {tokens ? <option value="ingest">{t('ingest (alerts in)', 'インジェスト')}</option> : null}
    </select>
  );
};

const ScopeFields: FC<{ r: Reader; prefix: string }> = ({ r, prefix }) => {
  const t = words(r.lang);
  return (
    <>
      <label>
        {t('Only these targets (comma-separated; empty: all)', '対象を限定（カンマ区切り、空欄: すべて）')} <input id={`${prefix}-targets`} name="targets" maxlength={500} />
      </label>{' '}
      <label>
        {t('Only these tags', 'タグを限定')} <input id={`${prefix}-tags`} name="tags" maxlength={500} />
      </label>
    </>
  );
};

export const UsersPage: FC<{ c: C; r: Reader; users: Omit<UserRecord, 'passwordHash'>[]; tokens: Omit<TokenRecord, 'hash'>[]; created?: { token: string; name: string } | undefined; error?: string | undefined }> = ({ c, r, users, tokens, created, error }) => {
  const t = words(r.lang);
  const all = t('everything', 'すべて');
  const owner = new Map(users.map((u) => [u.id, u.name]));
  return (
    <div>
      <h1>{t('Users and tokens', 'ユーザーとトークン')}</h1>
      <NoteLine c={c} r={r} />
      {error ? (
        <p class="error" role="alert" id="error">
          {error}
        </p>
      ) : null}
      {created ? (
        <div class="created" id="new-token">
          <p>{t(`The token "${created.name}": copy it now, it is not shown again.`, `トークン「${created.name}」: 再表示されないため、今コピーしてください。`)}</p>
          <pre class="text" id="token-value">
            {created.token}
          </pre>
        </div>
      ) : null}
      <section>
        <h2>{t('Users', 'ユーザー')}</h2>
        <table id="users">
          <thead>
            <tr>
              <th>{t('Name', '名前')}</th>
              <th>{t('Role', '権限')}</th>
              <th>{t('Sees', '閲覧範囲')}</th>
              <th>{t('Added', '追加')}</th>
              <th>{t('Password changed', 'パスワード変更')}</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr data-user={u.name}>
                <td>{u.name}</td>
                <td>{u.role}</td>
                <td>{scopeText(u.scope, all)}</td>
                <td>
                  <When at={u.createdAt} r={r} />
                </td>
                <td>
                  <When at={u.passwordChangedAt} r={r} />
                </td>
                <td>
                  {u.name !== r.name ? (
                    <form method="post" action={`/users/${encodeURIComponent(u.name)}/remove`}>
                      <Csrf r={r} />
                      <button type="submit">{t('Remove', '削除')}</button>
                    </form>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <h3>{t('Add a user', 'ユーザーを追加')}</h3>
        <form method="post" action="/users/add" class="inline" id="add-user">
          <Csrf r={r} />
          <label>
            {t('Name', '名前')} <input id="user-name" name="name" required maxlength={32} pattern="[a-z][a-z0-9._\-]{0,31}" />
          </label>{' '}
          <label>
            {t('Password (12 characters or more)', 'パスワード（12 文字以上）')} <input id="user-password" name="password" type="password" required minlength={12} maxlength={1024} autocomplete="new-password" />
          </label>{' '}
          <label>
            {t('Role', '権限')} <RoleSelect r={r} />
          </label>{' '}
          <ScopeFields r={r} prefix="user" /> <button type="submit">{t('Add', '追加')}</button>
        </form>
      </section>
      <section>
        <h2>{t('API tokens', 'API トークン')}</h2>
        <table id="tokens">
          <thead>
            <tr>
              <th>{t('Name', '名前')}</th>
              <th>{t('For', '利用者')}</th>
              <th>{t('Role', '権限')}</th>
              <th>{t('Sees', '閲覧範囲')}</th>
              <th>{t('Created', '作成')}</th>
              <th>{t('Expires', '有効期限')}</th>
              <th>{t('Last used', '最終利用')}</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((k) => (
              <tr data-token={k.name} data-revoked={String(k.revokedAt !== null)}>
                <td>{k.name}</td>
                <td>{k.userId === null ? t('(machine)', '（マシン）') : (owner.get(k.userId) ?? '?')}</td>
                <td>{k.role}</td>
                <td>{scopeText(k.scope, all)}</td>
                <td>
                  <When at={k.createdAt} r={r} />
                </td>
                <td>{k.expiresAt === null ? t('never', '無期限') : <When at={k.expiresAt} r={r} />}</td>
                <td>
                  <When at={k.lastUsedAt} r={r} />
                </td>
                <td>
                  {k.revokedAt !== null ? (
                    <span class="quiet">
                      {t('revoked', '失効')} <When at={k.revokedAt} r={r} />
                    </span>
                  ) : (
                    <form method="post" action={`/users/tokens/${k.id}/revoke`}>
                      <Csrf r={r} />
                      <button type="submit">{t('Revoke', '失効')}</button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <h3>{t('Create a token', 'トークンを作成')}</h3>
        <form method="post" action="/users/tokens" class="inline" id="add-token">
          <Csrf r={r} />
          <label>
            {t('Name', '名前')} <input id="token-name" name="name" required maxlength={64} />
          </label>{' '}
          <label>
            {t('For user (empty: a machine token)', 'ユーザー（空欄: マシン用）')} <input id="token-user" name="user" maxlength={32} />
          </label>{' '}
          <label>
            {t('Role', '権限')} <RoleSelect r={r} tokens />
          </label>{' '}
          <label>
            {t('Days valid (empty: no end)', '有効日数（空欄: 無期限）')} <input name="days" type="number" min={1} max={3650} value="90" />
          </label>{' '}
          <ScopeFields r={r} prefix="token" /> <button type="submit">{t('Create', '作成')}</button>
        </form>
      </section>
    </div>
  );
};
