// The campaign API (docs/API.md "Campaigns") for the marketing console.
import { request, tokenStore } from '../api';

export type CampaignState = 'draft' | 'awaiting_approval' | 'scheduled' | 'running' | 'paused' | 'completed' | 'cancelled';
export interface Audience { tiers?: string[]; segments?: string[]; tags?: string[]; language?: 'zh' | 'en'; consentingOnly?: boolean }
export interface Progress {
  total: number; pending: number; waiting: number; sending: number; sent: number; delivered: number; failed: number;
  skipped: Record<string, number>; optedOut: number; replied: number;
}
export interface Campaign {
  id: string; name: string; channel: 'sms' | 'email'; state: CampaignState; audience: Audience;
  content: { zh?: { text: string; subject?: string }; en?: { text: string; subject?: string } };
  queue: string | null; audienceCount: number | null; createdAt: string; updatedAt: string; progress?: Progress;
}
export interface NewCampaign { name: string; channel: 'sms' | 'email'; audience: Audience; content: Campaign['content']; queue?: string; startAt?: string }

export const campaignApi = {
  list: () => request<{ campaigns: Campaign[] }>('GET', '/api/campaigns'),
  get: (id: string) => request<{ campaign: Campaign }>('GET', `/api/campaigns/${id}`),
  create: (body: NewCampaign) => request<{ campaign: Campaign }>('POST', '/api/campaigns', body),
  count: (channel: string, audience: Audience) => request<{ count: number }>('POST', '/api/campaigns/audience/count', { channel, audience }),
  smsPreview: (text: string) => request<{ encoding: 'GSM' | 'UCS-2'; units: number; segments: number }>('POST', '/api/campaigns/sms-preview', { text }),
  act: (id: string, action: 'start' | 'pause' | 'resume' | 'cancel' | 'approve') => request<{ campaign: Campaign }>('POST', `/api/campaigns/${id}/${action}`),
  /** The results CSV (the API wants the bearer token, so it is fetched and handed to the browser as a file). */
  async downloadCsv(id: string): Promise<void> {
    const res = await fetch(`/api/campaigns/${id}/results.csv`, { headers: { Authorization: `Bearer ${tokenStore.get() ?? ''}` } });
    if (!res.ok) throw new Error(`export failed: ${res.status}`);
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `campaign-${id}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  },
};

/** "a, b ,c" → ["a","b","c"] (empty entries dropped). */
export const listOf = (s: string): string[] => s.split(/[,，\s]+/).map((x) => x.trim()).filter(Boolean);
