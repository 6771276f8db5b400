import { describe, expect, it } from 'vitest';
import { alwaysClosed, hoursFromForm, hoursSummary, hoursToForm, queueBody, queueLabel, queueToForm } from './queueForm';
import type { AdminQueue, QueueDefinition } from '../../types';

const def = (over: Partial<QueueDefinition> = {}): QueueDefinition => ({
  id: 'cards-vip', skills: { cards: 6, 'lang:zh': 5 }, strategy: 'most-skilled', serviceLevel: { pct: 90, seconds: 10 }, autoAccept: ['webchat'],
  offerTimeoutSec: 15, wrapUpSec: 45, relax: [{ afterSec: 30, minProficiency: 3 }], overflow: { afterSec: 120, queue: 'general' }, stickySec: 60,
  hours: { tz: 'Asia/Shanghai', week: { '1': [['08:00', '20:00']], '6': [['09:00', '12:00'], ['13:00', '17:00']] } },
  afterHours: { action: 'overflow', queue: 'general' }, defaultAhtSec: 240, ...over,
});
const queue = (over: Partial<QueueDefinition> = {}, label = { en: 'VIP cards', zh: '贵宾信用卡' }): AdminQueue => ({ id: 'cards-vip', label, definition: def(over) });

describe('business hours', () => {
  it('none is 24x7 and goes back as null', () => {
    const f = hoursToForm(null);
    expect(f.always).toBe(true);
    expect(f.tz).toBe('Asia/Shanghai');
    expect(Object.values(f.week).every((d) => d.length === 0)).toBe(true);
    expect(hoursFromForm(f)).toBeNull();
  });
  it('round-trips the week; only open days are sent', () => {
    const h = def().hours!;
    const f = hoursToForm(h);
    expect(f.always).toBe(false);
    expect(f.week['6']).toEqual([{ from: '09:00', to: '12:00' }, { from: '13:00', to: '17:00' }]);
    expect(f.week['0']).toEqual([]);
    expect(hoursFromForm(f)).toEqual(h);
  });
  it('drops rows left empty, sends half-filled ones trimmed (the hub names them), trims the zone', () => {
    const f = hoursToForm(null);
    f.always = false;
    f.tz = ' Europe/London ';
    f.week['1'] = [{ from: '', to: '' }, { from: ' 08:00', to: '' }];
    f.week['2'] = [{ from: '', to: ' ' }];
    expect(hoursFromForm(f)).toEqual({ tz: 'Europe/London', week: { '1': [['08:00', '']] } });
  });
  it('warns when business hours have no open interval at all', () => {
    const f = hoursToForm(null);
    expect(alwaysClosed(f)).toBe(false);
    f.always = false;
    expect(alwaysClosed(f)).toBe(true);
    f.week['3'] = [{ from: '09:00', to: '17:00' }];
    expect(alwaysClosed(f)).toBe(false);
  });
  it('summary, Monday first', () => {
    expect(hoursSummary(def().hours, (d) => ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][Number(d)])).toBe('Mon 08:00–20:00, Sat 09:00–12:00 13:00–17:00');
    expect(hoursSummary(null, String)).toBeNull();
  });
});

describe('queue form', () => {
  it('round-trips a full definition into the PUT body', () => {
    const { id: _id, ...rest } = def();
    expect(queueBody(queueToForm(queue()))).toEqual({ label: { en: 'VIP cards', zh: '贵宾信用卡' }, ...rest });
  });
  it('a new queue starts with the hub defaults', () => {
    const f = queueToForm(null);
    expect(queueBody(f)).toEqual({
      label: {}, skills: {}, strategy: 'longest-idle', serviceLevel: { pct: 80, seconds: 20 }, autoAccept: ['webchat', 'email', 'sms', 'fax'],
      offerTimeoutSec: 20, wrapUpSec: 30, relax: [], overflow: null, stickySec: 30, hours: null, afterHours: { action: 'offline' }, defaultAhtSec: 180,
    });
  });
  it('overflow off sends null whatever the fields hold; after-hours offline drops the queue', () => {
    const f = queueToForm(queue());
    f.overflowOn = false;
    f.afterHours = 'offline';
    const b = queueBody(f);
    expect(b.overflow).toBeNull();
    expect(b.afterHours).toEqual({ action: 'offline' });
  });
  it('auto-accept keeps the channel order; empty relax rows are dropped; an emptied number goes as null for the hub to name', () => {
    const f = queueToForm(queue());
    f.autoAccept = ['fax', 'webchat'];
    f.relax.push({ afterSec: '', minProficiency: '' });
    f.offerTimeoutSec = '';
    f.labelZh = '  ';
    const b = queueBody(f);
    expect(b.autoAccept).toEqual(['webchat', 'fax']);
    expect(b.relax).toEqual([{ afterSec: 30, minProficiency: 3 }]);
    expect(b.offerTimeoutSec).toBeNull();
    expect(JSON.parse(JSON.stringify(b)).offerTimeoutSec).toBeNull();
    expect(b.label).toEqual({ en: 'VIP cards' });
  });
  it('number inputs may hold numbers (v-model on type=number) or text', () => {
    const f = queueToForm(queue());
    f.offerTimeoutSec = 25;
    f.relax = [{ afterSec: 40, minProficiency: '2' }, { afterSec: '', minProficiency: '' }];
    f.overflowAfterSec = 90;
    const b = queueBody(f);
    expect(b.offerTimeoutSec).toBe(25);
    expect(b.relax).toEqual([{ afterSec: 40, minProficiency: 2 }]);
    expect(b.overflow).toEqual({ afterSec: 90, queue: 'general' });
  });
  it('label in the UI language, falling back to the other one, then the id', () => {
    expect(queueLabel(queue(), 'zh')).toBe('贵宾信用卡');
    expect(queueLabel(queue(), 'en')).toBe('VIP cards');
    expect(queueLabel(queue({}, { en: 'Only English' } as never), 'zh')).toBe('Only English');
    expect(queueLabel({ id: 'plain', label: {} }, 'en')).toBe('plain');
  });
});
