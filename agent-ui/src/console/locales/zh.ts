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
  nav: { inbox: '收件箱', supervisor: '班长监控', label: '主导航' },
  acd: {
    state: { available: '空闲', busy: '忙碌', wrapup: '话后处理', notready: '示忙', offline: '离线' },
    reason: { break: '小休', meal: '用餐', training: '培训', meeting: '会议', rona: '振铃未应答', supervisor: '班长设置', other: '其他' },
    menu: '我的状态：{state}。更改状态', setAvailable: '空闲', notReadyGroup: '示忙', setOffline: '离线（不再接入新会话）',
    wrapLeft: '剩余 {time}', endWrap: '结束话后处理', inState: '当前状态时长',
    err: {
      over_capacity: '该座席此渠道已满负荷。', already_assigned: '该会话已由其他座席处理。',
      invalid_state: '当前状态下无法执行（邀约可能已撤回）。', routing_unavailable: '路由服务无响应，请重试。',
      network_error: '无法连接服务器。', not_found: '未找到（可能已结束）。', generic: '操作失败：{code}',
    },
  },
  offer: {
    incoming: '新{channel}接入', accept: '接受', reject: '拒绝', accepting: '正在接受…', rejecting: '正在拒绝…',
    secondsLeft: '剩余 {n} 秒', hint: 'A 接受 · R 拒绝 · 任意位置 Alt+A / Alt+R', region: '新接入',
  },
  rona: {
    text: '您未及时应答，已被置为示忙（振铃未应答）。', missed: '未接：{name} 的{channel}。',
    available: '恢复空闲', dismiss: '关闭',
  },
  sup: {
    title: '班长监控', queues: '队列', agents: '座席', waiting: '排队中的会话', updated: '更新于 {time}', refresh: '刷新',
    loading: '正在加载…', error: '监控数据加载失败。', noQueues: '暂无队列。', noAgents: '暂无座席。', noWaiting: '当前无人排队。',
    col: {
      queue: '队列', waiting: '排队', ringing: '振铃', oldest: '最长等待', available: '空闲座席', signedIn: '已签入', answered: '今日接通', sl: '服务水平', asa: '平均应答',
      agent: '座席', state: '状态', time: '状态时长', load: '负荷 / 容量', actions: '操作', priority: '优先级',
      wait: '等待', customer: '客户', channel: '渠道',
    },
    forceNotReady: '置忙', forceAvailable: '置闲', logout: '签出', moveTo: '转移到…', setPriority: '优先级（−100…100）',
    reassign: '改派…', takeover: '接管', open: '打开',
    confirmLogout: '确定将 {name} 签出路由吗？其处理中的会话将退回队列。', confirmLogoutTitle: '签出座席',
    confirmTakeover: '确定从 {name} 接管此会话吗？会话将立即转给您。', confirmTakeoverTitle: '接管会话',
    confirm: '确定', cancel: '取消', done: '已完成。',
    pickTitle: '改派给座席', pick: '改派', force: '即使座席已满负荷也分配', full: '已满', noneSignedIn: '没有已签入的座席。',
    you: '我',
  },
};
export default zh;
