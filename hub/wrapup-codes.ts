/** Wrap-up (disposition) codes an agent picks when resolving. */
export const WRAP_UP_CODES = [
  { code: 'resolved', label: { en: 'Question answered', zh: '问题已解答' } },
  { code: 'card_service', label: { en: 'Card service', zh: '信用卡服务' } },
  { code: 'account_inquiry', label: { en: 'Account inquiry', zh: '账户查询' } },
  { code: 'complaint', label: { en: 'Complaint recorded', zh: '投诉已登记' } },
  { code: 'work_order', label: { en: 'Work order to branch', zh: '转工单至网点' } },
  { code: 'fraud_report', label: { en: 'Fraud report', zh: '欺诈举报' } },
  { code: 'no_response', label: { en: 'Customer did not respond', zh: '客户无回应' } },
  { code: 'spam', label: { en: 'Spam / not a customer', zh: '垃圾信息' } },
] as const;
