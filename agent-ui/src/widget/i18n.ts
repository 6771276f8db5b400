const en = {
  /** BCP 47 tag for times in bubbles: the widget's language, not the browser's. */
  timeLocale: 'en-US',
  open: 'Chat with us', close: 'Close chat', title: 'Example Bank · Online Service', subtitle: 'We usually reply in a minute',
  offlineSubtitle: 'We are offline — leave a message', checking: 'Connecting…', statusError: 'Chat is unavailable right now. Please try again later.',
  retry: 'Retry', name: 'Name', email: 'Email', phone: 'Phone', optional: '(optional)', message: 'Message',
  start: 'Start chat', starting: 'Starting…', nameRequired: 'Please enter your name.', emailRequired: 'Please enter a valid email.',
  messageRequired: 'Please enter a message.', send: 'Send', sendOffline: 'Send message', sendingOffline: 'Sending…',
  offlineIntro: 'Our agents are offline. Leave your message and we will reply by email.',
  offlineDone: 'Thank you! We received your message and will reply by email.', prechatIntro: 'Tell us who you are and an agent will join you.',
  placeholder: 'Type a message…', attach: 'Attach a file', sending: 'Sending…', failed: 'Not sent', agentTyping: 'Agent is typing…',
  read: 'Read', tooBig: 'File is larger than 10 MB.', badType: 'Only images, PDF and text files can be sent.', uploadFailed: 'Upload failed.',
  uploading: 'Uploading {name}…', reconnecting: 'Reconnecting…', ended: 'This conversation was closed. Write again any time.',
  afterHours: 'We are closed right now. Your message is kept, and we will reply as soon as we are open.',
  closedSubtitle: 'Outside service hours — leave a message', closedIntro: 'We are closed right now. Leave your message and we will reply by email as soon as we are open.',
  you: 'You', agent: 'Agent', sessionError: 'Could not start the chat. Please try again.', welcome: 'Hello {name}, how can we help you today?',
  privacy: 'Never share your full card number, PIN or passwords in chat.',
  queue: 'You are number {n} in the queue, estimated wait about {m} min.',
  queueSoon: 'You are number {n} in the queue, estimated wait under a minute.',
  consent: 'By starting a chat you agree that we record this conversation to serve you and as the law requires. See our privacy notice.',
  divider: 'New conversation',
  csatTitle: 'How was your chat?', csatStar: '{n} of 5', csatComment: 'Comment', csatSubmit: 'Send rating', csatPick: 'Please choose from 1 to 5 stars.',
  csatThanks: 'Thank you for your feedback!', csatFailed: 'Your rating could not be sent. Please try again.', csatAlready: 'This chat has been rated already.',
  transcriptLabel: 'Email me the transcript', transcriptSend: 'Send transcript', transcriptSent: 'The transcript was sent to {email}.',
  transcriptFailed: 'The transcript could not be sent. Please try again later.', transcriptUnavailable: 'Sending transcripts by email is not available here.',
  tooMany: 'Too many requests. Please try again later.', notConnected: 'Not connected. Please try again in a moment.',
};
export type Strings = typeof en;
const zh: Strings = {
  timeLocale: 'zh-CN',
  open: '在线客服', close: '关闭', title: '示例银行 · 在线客服', subtitle: '通常一分钟内回复',
  offlineSubtitle: '客服暂时不在线，请留言', checking: '正在连接…', statusError: '在线客服暂不可用，请稍后再试。',
  retry: '重试', name: '姓名', email: '邮箱', phone: '手机号', optional: '（选填）', message: '留言内容',
  start: '开始咨询', starting: '正在连接…', nameRequired: '请填写姓名。', emailRequired: '请填写有效的邮箱。',
  messageRequired: '请填写留言内容。', send: '发送', sendOffline: '提交留言', sendingOffline: '正在提交…',
  offlineIntro: '客服暂时不在线。请留言，我们会通过邮件回复您。', offlineDone: '感谢您的留言！我们会尽快通过邮件回复您。',
  prechatIntro: '请留下您的称呼，客服将为您服务。', placeholder: '请输入消息…', attach: '发送文件', sending: '发送中…', failed: '发送失败',
  agentTyping: '客服正在输入…', read: '已读', tooBig: '文件不能超过 10 MB。', badType: '仅支持图片、PDF 和文本文件。', uploadFailed: '上传失败。',
  uploading: '正在上传 {name}…', reconnecting: '正在重新连接…', ended: '本次会话已结束，如有需要请随时留言。',
  afterHours: '现在是非服务时间。您的留言已保存，我们会在服务时间内尽快回复您。',
  closedSubtitle: '非服务时间，请留言', closedIntro: '现在是非服务时间。请留言，我们会在服务时间内尽快通过邮件回复您。',
  you: '我', agent: '客服', sessionError: '无法开始会话，请重试。', welcome: '{name}您好，请问有什么可以帮您？',
  privacy: '请勿在对话中发送完整卡号、密码或验证码。',
  queue: '您当前排在第 {n} 位，预计等待约 {m} 分钟。',
  queueSoon: '您当前排在第 {n} 位，预计等待不到 1 分钟。',
  consent: '开始咨询即表示您同意我们为服务您及依法合规需要记录本次对话。详见我们的隐私政策。',
  divider: '新的会话',
  csatTitle: '请为本次服务评分', csatStar: '{n} 星（满分 5 星）', csatComment: '意见或建议', csatSubmit: '提交评价', csatPick: '请选择 1 至 5 星。',
  csatThanks: '感谢您的评价！', csatFailed: '评价提交失败，请重试。', csatAlready: '本次会话已评价。',
  transcriptLabel: '将聊天记录发送到邮箱', transcriptSend: '发送聊天记录', transcriptSent: '聊天记录已发送至 {email}。',
  transcriptFailed: '聊天记录发送失败，请稍后再试。', transcriptUnavailable: '暂不支持通过邮件发送聊天记录。',
  tooMany: '请求过于频繁，请稍后再试。', notConnected: '尚未连接，请稍后再试。',
};

export type WidgetLocale = 'en' | 'zh';
export function pickLocale(attr: string | null | undefined): WidgetLocale {
  const l = (attr || navigator.language || 'en').toLowerCase();
  return l.startsWith('zh') ? 'zh' : 'en';
}
export function strings(l: WidgetLocale): Strings { return l === 'zh' ? zh : en; }
export function fmt(s: string, p: Record<string, string>): string {
  return s.replace(/\{(\w+)\}/g, (_, k: string) => p[k] ?? '');
}
