/**
 * The built-in message templates, per language and per incident event. `{{field}}` is replaced
 * by the field's text (see render.ts); a config may override any subject or text. `{{report}}`
 * holds what mamoru found and did, each section under its heading only when it has something
 * (sections.ts), so no message says "nothing yet" or "we are watching" to fill a gap. The Japanese
 * is written the way a hosting operator writes to a client: polite, short, facts first.
 */
import type { Language } from './plain.ts';

export const templateEvents = ['open', 'update', 'recovered', 'reminder', 'escalation', 'acknowledged', 'test', 'channel_failed'] as const;
export type TemplateEvent = (typeof templateEvents)[number];

export interface Template {
  subject: string;
  text: string;
}

const enBody = `{{plain}}

What mamoru sees (monitoring words):
{{problems}}

Since: {{since}} ({{duration}} so far)

{{report}}

We will write again when this changes.

Incident {{incident}} on {{target}} ({{address}}).`;

const jaBody = `{{contact}} 様

mamoru（サーバー監視）よりお知らせいたします。

■ 発生している問題
{{plain}}

■ 監視の記録（技術情報）
{{problems}}

■ 発生時刻
{{since}}（現在 {{duration}} 経過）

{{report}}

状況が変わり次第、改めてご連絡いたします。

インシデント番号: {{incident}}（{{target}} / {{address}}）`;

export const defaultTemplates: Record<Language, Record<TemplateEvent, Template>> = {
  en: {
    open: { subject: '[PROBLEM] {{target}}: {{headline}}', text: enBody },
    update: { subject: '[UPDATE] {{target}}: {{headline}}', text: `What changed:\n{{changes}}\n\n${enBody}` },
    reminder: { subject: '[STILL DOWN] {{target}}: {{headline}}', text: `This problem is still open after {{duration}}.\n\n${enBody}` },
    escalation: { subject: '[ESCALATION {{level}}] {{target}}: {{headline}}', text: `Nobody has acknowledged this problem for {{duration}}; it is escalated to level {{level}}.\n\n${enBody}` },
    acknowledged: { subject: '[ACKNOWLEDGED] {{target}}: {{headline}}', text: '{{by}} is taking care of incident {{incident}} on {{target}}: {{comment}}\n\n{{problems}}' },
    recovered: {
      subject: '[RECOVERED] {{target}}: {{headline}}',
      text: `{{plain}}\n\nThe problem lasted {{duration}}, from {{since}} to {{recovered_at}}.\n\n{{report}}\n\nIncident {{incident}} on {{target}} ({{address}}) is resolved.`,
    },
    test: { subject: '[TEST] mamoru notification test for {{contact}}', text: 'This is a test message from mamoru to {{contact}} through {{channel}}.\nIf you can read it, this channel works. Nothing needs to be done.' },
    channel_failed: { subject: '[NOTIFY FAILED] {{channel}} for {{contact}} is failing', text: 'mamoru could not deliver a message about incident {{incident}} on {{target}} to {{contact}} through {{channel}}:\n{{error}}\n\nThe contact may not know about this incident. Please check the channel\'s settings.' },
  },
  ja: {
    open: { subject: '【障害】{{target}}: {{headline}}', text: jaBody },
    update: { subject: '【続報】{{target}}: {{headline}}', text: `{{contact}} 様\n\n状況に変化がありましたのでお知らせいたします。\n{{changes}}\n\n${jaBody.replace('{{contact}} 様\n\nmamoru（サーバー監視）よりお知らせいたします。\n\n', '')}` },
    reminder: { subject: '【継続中】{{target}}: {{headline}}', text: `問題は {{duration}} 経過した現在も続いております。\n\n${jaBody}` },
    escalation: { subject: '【エスカレーション {{level}}】{{target}}: {{headline}}', text: `{{duration}} の間どなたも対応を確認されていないため、レベル {{level}} にエスカレーションいたします。\n\n${jaBody}` },
    acknowledged: { subject: '【対応中】{{target}}: {{headline}}', text: '{{contact}} 様\n\nインシデント {{incident}}（{{target}}）は {{by}} が対応を開始いたしました。\nコメント: {{comment}}\n\n■ 監視の記録（技術情報）\n{{problems}}' },
    recovered: {
      subject: '【復旧】{{target}}: {{headline}}',
      text: '{{contact}} 様\n\nmamoru（サーバー監視）よりお知らせいたします。\n\n■ 復旧した内容\n{{plain}}\n\n■ 障害時間\n{{since}} から {{recovered_at}} まで（{{duration}}）\n\n{{report}}\n\nご不便をおかけいたしましたことをお詫び申し上げます。\nインシデント番号: {{incident}}（{{target}} / {{address}}）',
    },
    test: { subject: '【テスト】mamoru 通知テスト（{{contact}} 様）', text: '{{contact}} 様\n\nこれは mamoru から {{channel}} 経由でお送りしているテストメッセージです。\nこのメッセージが読めていれば、通知経路は正常です。特に対応は必要ありません。' },
    channel_failed: { subject: '【通知失敗】{{contact}} 様への {{channel}} が届きません', text: 'インシデント {{incident}}（{{target}}）の通知を {{contact}} 様へ {{channel}} でお送りできませんでした。\n理由: {{error}}\n\nお客様はこの障害をご存じない可能性があります。通知先の設定をご確認ください。' },
  },
};
