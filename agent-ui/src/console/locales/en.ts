export default {
  app: { title: 'Contact Center', logout: 'Sign out', language: 'Language' },
  login: {
    title: 'Agent sign in', username: 'Username', password: 'Password', submit: 'Sign in', submitting: 'Signing in…',
    invalid: 'Wrong username or password.', required: 'Enter your username and password.', network: 'Cannot reach the server. Try again.',
    failed: 'Sign in failed: {msg}',
  },
  inbox: {
    title: 'Inbox', loading: 'Loading conversations…', empty: 'No conversations here.', error: 'Could not load conversations.',
    retry: 'Retry', loadMore: 'Load more', offline: 'Connection lost. Reconnecting…', selectHint: 'Select a conversation (j/k to move, Enter to open).',
    unread: '{n} unread',
  },
  filter: { scope: 'Scope', mine: 'Mine', queue: 'My queues', all: 'All', status: 'Status', channel: 'Channel', any: 'All' },
  channel: { webchat: 'Web chat', email: 'Email', sms: 'SMS', voice: 'Voice', fax: 'Fax' },
  status: { open: 'Open', queued: 'Queued', assigned: 'Assigned', pending: 'Pending', resolved: 'Resolved', closed: 'Closed' },
  tier: { standard: 'Standard', gold: 'Gold', vip: 'VIP' },
  role: { agent: 'Agent', supervisor: 'Supervisor', marketing: 'Marketing', admin: 'Administrator' },
  msgStatus: { received: 'received', queued: 'queued', sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' },
  conv: {
    loading: 'Loading conversation…', error: 'Could not load the conversation.', back: 'Back', claim: 'Claim', claiming: 'Claiming…',
    resolve: 'Resolve', unassigned: 'Unassigned', assignedTo: 'Assigned to {name}', typing: '{name} is typing…', customer: 'Customer',
    older: 'Load earlier messages', sending: 'Sending…', failed: 'Not sent', retry: 'Retry', empty: 'No messages yet.',
    alreadyAssigned: 'Someone else already took this conversation.', system: 'System', you: 'You',
  },
  reply: { placeholder: 'Type a reply… (Ctrl+Enter to send)', send: 'Send', closed: 'This conversation is closed.' },
  resolve: {
    title: 'Resolve conversation', code: 'Wrap-up code', choose: 'Choose a code…', note: 'Note (optional)', confirm: 'Resolve',
    cancel: 'Cancel', required: 'Choose a wrap-up code.', loadError: 'Could not load wrap-up codes.',
  },
  customer: {
    title: 'Customer', tier: 'Tier', segment: 'Segment', language: 'Language', identities: 'Contact points',
    history: 'Past conversations', noHistory: 'No earlier conversations.',
  },
  time: { now: 'now', m: '{n}m', h: '{n}h', d: '{n}d' },
};
