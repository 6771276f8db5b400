import type en from './en';

const zh: typeof en = {
  app: { title: '客服中心', logout: '退出', language: '语言' },
  login: {
    title: '座席登录', username: '用户名', password: '密码', submit: '登录', submitting: '正在登录…',
    invalid: '用户名或密码错误。', required: '请输入用户名和密码。', network: '无法连接服务器，请重试。', failed: '登录失败：{msg}',
  },
  inbox: {
    title: '收件箱', loading: '正在加载会话…', empty: '暂无会话。', error: '会话加载失败。', retry: '重试', loadMore: '加载更多',
    offline: '连接已断开，正在重连…', selectHint: '请选择一个会话（j/k 移动，Enter 打开）。', unread: '{n} 条未读',
  },
  filter: { scope: '范围', mine: '我的', queue: '我的队列', all: '全部', status: '状态', channel: '渠道', any: '全部' },
  channel: { webchat: '网页聊天', email: '邮件', sms: '短信', voice: '语音', fax: '传真' },
  status: { open: '新建', queued: '排队中', assigned: '已分配', pending: '待处理', resolved: '已解决', closed: '已关闭' },
  tier: { standard: '普通', gold: '金卡', vip: 'VIP' },
  role: { agent: '座席', supervisor: '班长', marketing: '营销', admin: '管理员' },
  msgStatus: { received: '已接收', queued: '排队中', sent: '已发送', delivered: '已送达', read: '已读', failed: '发送失败' },
  conv: {
    loading: '正在加载会话…', error: '会话加载失败。', back: '返回', claim: '领取', claiming: '领取中…', resolve: '结束',
    unassigned: '未分配', assignedTo: '处理人：{name}', typing: '{name} 正在输入…', customer: '客户', older: '加载更早的消息',
    sending: '发送中…', failed: '发送失败', retry: '重试', empty: '暂无消息。', alreadyAssigned: '该会话已被其他座席领取。',
    system: '系统', you: '我',
  },
  reply: { placeholder: '输入回复…（Ctrl+Enter 发送）', send: '发送', closed: '该会话已关闭。' },
  resolve: {
    title: '结束会话', code: '小结代码', choose: '请选择…', note: '备注（可选）', confirm: '结束', cancel: '取消',
    required: '请选择小结代码。', loadError: '小结代码加载失败。',
  },
  customer: {
    title: '客户信息', tier: '等级', segment: '客群', language: '语言', identities: '联系方式', history: '历史会话',
    noHistory: '没有更早的会话。',
  },
  time: { now: '刚刚', m: '{n}分钟', h: '{n}小时', d: '{n}天' },
};
export default zh;
