// Widget HTTP calls; every URL is absolute on the hub origin (the widget runs on the bank's page).
import type { Attachment } from '../types';

export class WidgetApiError extends Error {
  constructor(public status: number, public code: string, message: string) { super(message); }
}

export class WidgetApi {
  constructor(private origin: string) {}

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.origin + path, {
        method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
      });
    } catch (e) { throw new WidgetApiError(0, 'network_error', (e as Error).message); }
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new WidgetApiError(res.status, data?.error?.code ?? `http_${res.status}`, data?.error?.message ?? res.statusText);
    return data as T;
  }
  status() { return this.json<{ online: boolean; open?: boolean }>('GET', '/api/webchat/status'); }
  session(body: { name: string; email?: string; phone?: string; locale?: string; token?: string }) {
    return this.json<{ visitorId: string; token: string; name: string }>('POST', '/api/webchat/session', body);
  }
  offline(body: { name: string; email: string; text: string }) {
    return this.json<{ conversationId: string }>('POST', '/api/webchat/offline', body);
  }
  async upload(file: File, token: string): Promise<Attachment> {
    const fd = new FormData();
    fd.append('file', file, file.name);
    let res: Response;
    try {
      res = await fetch(`${this.origin}/api/webchat/attachments`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: fd });
    } catch (e) { throw new WidgetApiError(0, 'network_error', (e as Error).message); }
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new WidgetApiError(res.status, data?.error?.code ?? `http_${res.status}`, data?.error?.message ?? res.statusText);
    return data.attachment as Attachment;
  }
  /** The hub signs a short-lived link for each attachment it sends the widget; no session token goes in a URL. */
  attachmentUrl(a: Attachment): string | undefined { return a.url ? this.origin + a.url : undefined; }
}
