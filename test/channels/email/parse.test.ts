/**
 * The mail parser (channels/email/parse.ts) on real-world fixtures (test/fixtures/mail/): every
 * charset Chinese mail uses, encoded-words split mid-character, cid images, RFC 2231 names,
 * the attachment limit enforced while streaming, and malformed mail read as well as it can be.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { expect, test } from 'vitest';
import { parseMail, type PartMeta, type PartSink } from '../../../channels/email/parse.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../../fixtures/mail', name));

/** A sink that keeps each part's bytes and enforces the limit itself, as the hub's file store does. */
function memorySink() {
  const parts = new Map<string, { meta: PartMeta; bytes: Buffer }>();
  let n = 0;
  const sink: PartSink = async (stream: Readable, meta) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of stream as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > meta.maxBytes) throw new Error('sink: over limit');
      chunks.push(c);
    }
    const id = `part${++n}`;
    parts.set(id, { meta, bytes: Buffer.concat(chunks) });
    return { id };
  };
  return { sink, parts };
}

const parse = (raw: Buffer | string, max = 1024 * 1024) => {
  const m = memorySink();
  return parseMail(Buffer.from(raw), { sink: m.sink, maxAttachmentBytes: max }).then((p) => ({ p, parts: m.parts }));
};

test('GB2312 label on GBK bytes, and an encoded-word subject split mid-character', async () => {
  const { p } = await parse(fixture('gb2312-label-gbk.eml'));
  expect(p.subject).toBe('朱镕基账单查询');
  expect(p.text).toContain('我的信用卡账单有误，请王堃经理回电。');
  expect(p.from).toEqual({ address: 'zhangsan@example.cn', name: '张三' });
  expect(p.messageId).toBe('gbk-1@example.cn');
  expect(p.problems).toEqual([]);
});

test('Big5 and GB18030 (four-byte sequences)', async () => {
  const big5 = (await parse(fixture('big5.eml'))).p;
  expect(big5.subject).toBe('信用卡帳單查詢');
  expect(big5.text).toContain('請問我的帳戶餘額，謝謝。');
  const gb = (await parse(fixture('gb18030.eml'))).p;
  expect(gb.subject).toBe('更正姓名䶮');
  expect(gb.text).toContain('姓名：䶮 😀 欧元€');
});

test('HTML with a cid image and an RFC 2231 Chinese attachment name', async () => {
  const { p, parts } = await parse(fixture('utf8-html-cid.eml'));
  expect(p.subject).toBe('附件：对账单');
  expect(p.html).toContain('src="cid:shot1@example.cn"');
  const img = p.attachments.find((a) => a.cid === 'shot1@example.cn')!;
  expect(img).toMatchObject({ contentType: 'image/png', inline: true });
  expect(parts.get(img.ref.id)!.bytes.subarray(1, 4).toString()).toBe('PNG');
  const pdf = p.attachments.find((a) => a.contentType === 'application/pdf')!;
  expect(pdf.name).toBe('对账单 2026年11月.pdf');
  expect(parts.get(pdf.ref.id)!.bytes.toString()).toMatch(/^%PDF-1\.4/);
  expect(p.cc).toEqual([{ address: 'wife@example.cn' }]);
});

test('an attachment over the limit is refused while streaming and recorded with the reason', async () => {
  const big = Buffer.alloc(300 * 1024, 7).toString('base64').replace(/.{76}/g, '$&\r\n');
  const raw = `From: a@example.com\r\nSubject: big\r\nMessage-ID: <big@x>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/zip; name=big.zip\r\nContent-Disposition: attachment; filename=big.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n${big}\r\n--b\r\nContent-Type: text/plain; name=small.txt\r\nContent-Disposition: attachment; filename=small.txt\r\n\r\nsmall\r\n--b--\r\n`;
  const { p, parts } = await parse(raw, 100 * 1024);
  expect(p.rejected).toEqual([{ name: 'big.zip', contentType: 'application/zip', reason: 'larger than the 102400-byte attachment limit' }]);
  // Nothing of the refused part stored; the part after it still is.
  expect([...parts.values()].map((x) => x.meta.name)).toEqual(['small.txt']);
  expect(p.text).toContain('see attached');
});

test('hostile HTML is stored sanitised', async () => {
  const { p } = await parse(fixture('xss.eml'));
  const h = p.html!;
  for (const bad of ['<script', 'onload', 'onerror', 'javascript:', 'data:text', '<iframe', 'srcdoc', '<form', '<input', '<meta', '<style', 'style=', '<svg', '<object', '<embed', '<base', 'url(']) {
    expect(h.toLowerCase(), bad).not.toContain(bad);
  }
  expect(h).toContain('Dear customer');
  expect(h).toContain('&lt;script&gt;'); // escaped text stays text
  expect(h).toContain('rel="noopener noreferrer nofollow"');
});

test('malformed mail is read as well as it can be, problems listed', async () => {
  const lf = (await parse(fixture('bare-lf-no-ids.eml'))).p;
  expect(lf.subject).toBe('no ids here');
  expect(lf.text).toContain('line two 中文');
  expect(lf.problems).toEqual(expect.arrayContaining(['no Message-ID', 'no valid Date']));
  expect(lf.sha256).toMatch(/^[0-9a-f]{64}$/);

  const b64 = (await parse(fixture('invalid-base64.eml'))).p;
  expect(b64.subject).toBe('broken base64');
  expect(b64.text.startsWith('你好')).toBe(true);

  const open = (await parse(fixture('unclosed-boundary.eml'))).p;
  expect(open.text).toContain('the body survives');
  expect(open.attachments.map((a) => a.name)).toEqual(['a.txt']);
});

test('very deep nesting and huge header lines neither crash nor stall', async () => {
  let raw = 'From: deep@example.com\r\nSubject: deep\r\nMessage-ID: <deep@x>\r\n';
  const depth = 2000;
  for (let i = 0; i < depth; i++) raw += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
  raw += 'Content-Type: text/plain\r\n\r\nbottom\r\n';
  for (let i = depth - 1; i >= 0; i--) raw += `--b${i}--\r\n`;
  const deep = (await parse(raw)).p;
  expect(deep.subject).toBe('deep');
  expect(deep.messageId).toBe('deep@x');
  expect(deep.text).toContain('bottom');

  const huge = `From: huge@example.com\r\nSubject: ${'长'.repeat(300_000)}\r\nX-Junk: ${'a'.repeat(2_000_000)}\r\nMessage-ID: <huge@x>\r\n\r\nbody after huge headers\r\n`;
  const h = (await parse(huge)).p;
  expect(h.subject.length).toBeLessThanOrEqual(1000);
  expect(h.subject.startsWith('长长长')).toBe(true);
  expect(h.from).toEqual({ address: 'huge@example.com' });
  expect(h.messageId).toBe('huge@x');
  expect(h.text).toContain('body after huge headers');
  expect(h.problems[0]).toMatch(/^parse: /);
});
