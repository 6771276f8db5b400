/**
 * A campaign audience from an uploaded CSV (a header row naming `phone` or `email`, and optionally
 * `name`, `language`): read as a stream, line by line, never whole in memory. Each address is
 * normalised like an identity (hub/identities.ts), so "+86 138 0013 8000" and "13800138000" are one
 * row (folded as a duplicate); rows that cannot be read are listed with their line number and reason.
 * Each accepted address's customer is found or created, and tagged `cmp-list:<campaign id>`; the
 * campaign's audience becomes that tag, so counting and materialising work exactly as for a segment.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Types } from 'mongoose';
import { badRequest } from '../../lib/errors.js';
import type { Hub } from '../hub.js';
import { identityKey } from '../identities.js';
import type { CampaignChannel } from './models.js';

export interface CsvResult {
  accepted: number;
  duplicates: number;
  bad: { line: number; reason: string }[];
  badCount: number;
  tag: string;
}

/** One CSV line into fields (RFC 4180 quoting within a line; a quoted field may not span lines). */
export function csvFields(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= line.length) return null; // unterminated quote
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            v += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += line[i++];
      }
      if (i < line.length && line[i] !== ',') return null;
      out.push(v);
      i++;
    } else {
      const j = line.indexOf(',', i);
      const end = j === -1 ? line.length : j;
      out.push(line.slice(i, end).trim());
      i = end + 1;
    }
  }
  return out;
}

const MAX_LISTED = 200;
const MAX_ROWS = 1_000_000;

export async function importCsv(hub: Hub, campaignId: Types.ObjectId, channel: CampaignChannel, body: Readable): Promise<CsvResult> {
  const tag = `cmp-list:${String(campaignId)}`;
  const want = channel === 'sms' ? 'phone' : 'email';
  const lines = createInterface({ input: body, crlfDelay: Infinity });
  let header: string[] | null = null;
  let col = -1;
  let lineNo = 0;
  const seen = new Set<string>();
  const res: CsvResult = { accepted: 0, duplicates: 0, bad: [], badCount: 0, tag };
  const bad = (line: number, reason: string) => {
    res.badCount++;
    if (res.bad.length < MAX_LISTED) res.bad.push({ line, reason });
  };
  for await (const raw of lines) {
    lineNo++;
    const line = lineNo === 1 ? raw.replace(/^\ufeff/, '') : raw;
    if (!line.trim()) continue;
    const f = csvFields(line);
    if (!header) {
      header = (f ?? []).map((h) => h.toLowerCase());
      col = header.indexOf(want);
      if (col < 0) throw badRequest(`the first line must name the columns, one of them "${want}"`, 'invalid_csv');
      continue;
    }
    if (lineNo > MAX_ROWS + 1) throw badRequest(`at most ${MAX_ROWS} rows`, 'invalid_csv');
    if (!f) {
      bad(lineNo, 'unreadable line (an unclosed quote)');
      continue;
    }
    const address = f[col] ?? '';
    if (!address) {
      bad(lineNo, `no ${want}`);
      continue;
    }
    const norm = hub.ingest.ids.normalise(channel, address);
    if (!norm.valid) {
      bad(lineNo, `"${address.slice(0, 40)}" is not a valid ${want === 'phone' ? 'phone number' : 'e-mail address'}`);
      continue;
    }
    const key = identityKey(norm);
    if (seen.has(key)) {
      res.duplicates++;
      continue;
    }
    // (The set of keys grows with the list: 1M addresses is ~100 MB; lists that large come in parts.)
    seen.add(key);
    const get = (name: string) => {
      const i = header!.indexOf(name);
      return i >= 0 ? (f[i] ?? '').slice(0, 200) || undefined : undefined;
    };
    const lang = get('language');
    const customerId = await hub.ingest.ids.resolve({ channel, address: norm.address }, { name: get('name'), language: lang === 'en' || lang === 'zh' ? lang : undefined });
    await hub.m.Customer.updateOne({ _id: customerId }, { $addToSet: { tags: tag } });
    res.accepted++;
  }
  if (!header) throw badRequest('the file is empty', 'invalid_csv');
  return res;
}
