/**
 * The demo bank hotline flow `npm start` seeds (id `default`, answering 95588): identify the caller by
 * number, VIPs straight to the VIP line greeted by name; the language menu unless the caller's
 * language is on file; the shortcuts the caller's data points to (dynamic, at most two, else none);
 * then the main menu — balance (card number collected and looked up), card loss (tagged, priority,
 * cards queue), loans (wealth queue), an agent (business hours, else voicemail). Its prompts are generated at start (warmPrompts).
 */
import type { FlowBody } from './flow-schema.js';
import type { Ivr } from './index.js';
import { prompts } from './flows.js';
import { FlowConflict } from './flows.js';
import { DemoBankCore } from './bank-core.js';

const zh = (text: string) => ({ text, lang: 'zh' as const });

export const DEMO_FLOW: FlowBody = {
  name: '银行服务热线 Bank hotline (demo)',
  numbers: ['95588'],
  start: 'welcome',
  maxIvrSec: 300,
  onMaxTime: 'toGeneral',
  vip: { numbers: [], calledNumbers: ['95588800'], tiers: ['vip'], queue: 'vip', greeting: zh('{name}，您好，正在为您转接贵宾专线。') },
  nodes: [
    { id: 'welcome', type: 'play', prompt: zh('欢迎致电城市银行。'), next: 'whoCalls' },
    { id: 'whoCalls', type: 'lookup', by: 'caller', next: 'knownLanguage', notFound: 'language' },
    // Callers whose language is on file skip the language menu.
    { id: 'knownLanguage', type: 'condition', test: { kind: 'language', in: ['zh'] }, then: 'likely', else: 'language' },
    { id: 'language', type: 'menu', prompt: zh('普通话服务请按1。'), options: [{ digit: '1', intent: 'mandarin', next: 'likely' }], timeoutSec: 3, retries: 0, onFail: 'likely' },
    {
      // The shortcuts this caller's data points to (a recent call, an open case, a campaign), at most
      // two, then "other services"; nobody hears shortcuts the data does not support.
      id: 'likely',
      type: 'menu',
      dynamic: true,
      maxLikely: 2,
      whenNothingLikely: 'main',
      timeoutSec: 4,
      retries: 0,
      onFail: 'main',
      options: [
        { digit: '1', intent: 'balance', label: zh('查询余额请按1。'), reasons: ['account_inquiry'], onlyWhenLikely: true, next: 'askCard' },
        { digit: '2', intent: 'card_loss', label: zh('信用卡挂失请按2。'), reasons: ['card_service', 'fraud_report'], onlyWhenLikely: true, next: 'tagLoss' },
        { digit: '3', intent: 'loans', label: zh('贷款业务请按3。'), onlyWhenLikely: true, next: 'tagLoans' },
        { digit: '0', intent: 'agent', label: zh('人工服务请按0。'), reasons: ['complaint', 'work_order'], onlyWhenLikely: true, next: 'open' },
        { digit: '9', intent: 'other', label: zh('其他服务请按9。'), next: 'main' },
      ],
    },
    {
      id: 'main',
      type: 'menu',
      prompt: zh('查询余额请按1，信用卡挂失请按2，贷款业务请按3，人工服务请按0。'),
      timeoutSec: 5,
      retries: 2,
      invalidPrompt: zh('输入有误。'),
      noInputPrompt: zh('没有收到您的选择。'),
      onFail: 'toGeneral',
      options: [
        { digit: '1', intent: 'balance', next: 'askCard' },
        { digit: '2', intent: 'card_loss', next: 'tagLoss' },
        { digit: '3', intent: 'loans', next: 'tagLoans' },
        { digit: '0', intent: 'agent', next: 'open' },
      ],
    },
    { id: 'askCard', type: 'collect', prompt: zh('请输入您的卡号，以井号键结束。'), var: 'card', minLength: 12, maxLength: 19, terminator: '#', timeoutSec: 8, interDigitSec: 4, retries: 2, invalidPrompt: zh('卡号位数不对。'), next: 'findCard', onFail: 'toGeneral' },
    { id: 'findCard', type: 'lookup', by: 'card', var: 'card', next: 'balanceSent', notFound: 'noCard' },
    { id: 'noCard', type: 'play', prompt: zh('没有找到这张卡。'), next: 'after' },
    { id: 'balanceSent', type: 'play', prompt: zh('您的余额已通过短信发送到您的手机。'), next: 'after' },
    { id: 'after', type: 'menu', prompt: zh('返回主菜单请按星号，人工服务请按0，结束请按9。'), options: [{ digit: '*', intent: 'menu', next: 'main' }, { digit: '0', intent: 'agent', next: 'open' }, { digit: '9', intent: 'bye', next: 'bye' }], timeoutSec: 5, retries: 1, onFail: 'bye' },
    { id: 'tagLoss', type: 'setTag', tag: 'card_loss', next: 'urgent' },
    { id: 'urgent', type: 'setPriority', priority: 50, next: 'toCards' },
    { id: 'toCards', type: 'queue', queue: 'cards', skill: 'cards', prompt: zh('正在为您转接信用卡挂失专席。') },
    { id: 'tagLoans', type: 'setTag', tag: 'loans', next: 'toWealth' },
    { id: 'toWealth', type: 'queue', queue: 'wealth', prompt: zh('正在为您转接贷款专员。') },
    {
      id: 'open',
      type: 'condition',
      test: { kind: 'businessHours', tz: 'Asia/Shanghai', week: Object.fromEntries(['0', '1', '2', '3', '4', '5', '6'].map((d) => [d, [{ from: '08:00', to: '20:00' }]])), holidays: [] },
      then: 'toGeneral',
      else: 'mailbox',
    },
    { id: 'toGeneral', type: 'queue', queue: 'general', prompt: zh('正在为您转接人工服务，请稍候。') },
    { id: 'mailbox', type: 'voicemail', queue: 'general', prompt: zh('现在是非工作时间，请在提示音后留言，按井号键结束。'), maxSec: 120 },
    { id: 'bye', type: 'hangup', prompt: zh('感谢您的来电，再见。') },
  ],
};

/** Seeds the demo flow once (an admin's edits are kept) and returns it as stored. */
export async function seedDemoFlow(ivr: Ivr, by = 'seed') {
  try {
    return await ivr.flows.create('default', DEMO_FLOW, by);
  } catch (e) {
    if (e instanceof FlowConflict) return (await ivr.flows.get('default'))!;
    throw e;
  }
}

/** Generates every text prompt of a flow now (so the first caller does not wait for espeak-ng). */
export async function warmPrompts(ivr: Ivr, flow: { nodes: FlowBody['nodes']; vip?: FlowBody['vip'] }): Promise<string[]> {
  const refs = flow.nodes.flatMap((n) => prompts(n as never)).filter((p) => 'text' in p && !p.text.includes('{'));
  const files: string[] = [];
  // One at a time: espeak-ng and sox are CPU-bound and the machine is shared.
  for (const r of refs) files.push(await ivr.prompts.path(r));
  return files;
}

/** Demo card numbers the demo bank core knows (the VIP demo customer's card). */
export const DEMO_CARDS = [{ card: '6222020200112233', phone: '+8613800138000' }];

/**
 * `npm start` with demo data: the hotline flow, the demo card numbers, and the flow's prompts
 * generated in the background (logged when ready; a call before that waits for its prompt).
 */
export async function seedIvrDemo(ivr: Ivr, log: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void }): Promise<void> {
  const stored = await seedDemoFlow(ivr);
  if (ivr.bank instanceof DemoBankCore) {
    for (const d of DEMO_CARDS) {
      const c = await ivr.bank.byPhone(d.phone);
      if (c) await ivr.bank.link('card', d.card, c.id);
    }
  }
  const t0 = Date.now();
  void warmPrompts(ivr, stored.flow).then(
    (files) => log.info({ prompts: files.length, ms: Date.now() - t0 }, 'IVR demo prompts ready'),
    (e) => log.warn({ err: e }, 'IVR demo prompts not generated (is espeak-ng installed? scripts/setup.sh installs it)'),
  );
}
