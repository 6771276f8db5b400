/**
 * Who a contact is: addresses normalised and keyed by the kind of address (phone, email, web chat
 * visitor), not by channel, so the same number texting and calling is one customer, and
 * "+86 138 0013 8000", "8613800138000", "13800138000" and "138-0013-8000" are one identity.
 *
 * The `identities` collection's unique _id is the key ("phone:+8613800138000", "email:a.b@x.cn",
 * "webchat:<visitor id>"): a unique _id is the one uniqueness every MongoDB-compatible store enforces,
 * so two concurrent first contacts can never make two customers. Identities stored before this module
 * were keyed "channel:address lowercased" (e.g. "sms:+86 138 0013 8000"); a lookup that misses the new
 * key reads the old one and claims the new key for its customer, so stored data keeps working.
 *
 * Unverified addresses (typed into a web form by someone we cannot check) never attach to a customer
 * who holds that address: they live under their own "unverified:" keys, so the same unverified e-mail
 * twice is one (separate) customer, and a supervisor can merge it with the real one after checking.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { Types } from 'mongoose';
import { badRequest, isDuplicateKey } from '../lib/errors.js';
import type { Channel, Models } from './models/index.js';

export type AddressKind = 'phone' | 'email' | 'webchat';

/** The kind of address each channel reaches a customer at. Fax numbers are telephone numbers. */
export const KIND_OF_CHANNEL: Record<Channel, AddressKind> = { sms: 'phone', voice: 'phone', fax: 'phone', email: 'email', webchat: 'webchat' };

export interface NormalisedAddress {
  kind: AddressKind;
  /** The canonical form: E.164 for phones, trimmed lowercase for e-mail, the visitor id for web chat. */
  address: string;
  /** False when the address could not be understood (kept as typed, trimmed, so it still finds its customer). */
  valid: boolean;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Normalise an address for a channel. Phones: parsed with libphonenumber-js in `region` when they have
 * no country code, written E.164. E-mail: trimmed and lowercased as a whole; dots and "+tags" are
 * kept, because a bank must not decide that a.b@ and ab@ (or a+x@) are the same person: only Gmail
 * folds them, and a statement mailed to the folded form would go to an address the customer never gave.
 */
export function normaliseAddress(channel: Channel, raw: string, region: CountryCode): NormalisedAddress {
  const kind = KIND_OF_CHANNEL[channel];
  const trimmed = raw.trim();
  if (kind === 'email') {
    const address = trimmed.toLowerCase();
    return { kind, address, valid: EMAIL.test(address) };
  }
  if (kind === 'webchat') return { kind, address: trimmed.toLowerCase(), valid: trimmed.length > 0 };
  const phone = parsePhoneNumberFromString(trimmed, region);
  if (phone?.isValid()) return { kind, address: phone.number, valid: true };
  // A sender the parser cannot read (a short code such as 95588, an alphanumeric sender id): kept as
  // sent minus spacing, so its messages still come together.
  return { kind, address: trimmed.replace(/[\s\-().]/g, '').toLowerCase(), valid: false };
}

/** The identity key of a normalised address. */
export const identityKey = (a: Pick<NormalisedAddress, 'kind' | 'address'>, verified = true): string => `${verified ? '' : 'unverified:'}${a.kind}:${a.address}`;

/**
 * The keys this address may have had before identities were keyed by kind ("channel:address as sent,
 * lowercased"): as sent and as normalised, on every channel of its kind (the seeded customers and
 * connectors wrote E.164 on the voice or SMS channel).
 */
export function legacyKeys(channel: Channel, raw: string, norm: NormalisedAddress): string[] {
  const channels = (Object.keys(KIND_OF_CHANNEL) as Channel[]).filter((c) => KIND_OF_CHANNEL[c] === norm.kind);
  const forms = [...new Set([raw.toLowerCase(), raw.trim().toLowerCase(), norm.address.toLowerCase()])];
  return [channel, ...channels.filter((c) => c !== channel)].flatMap((c) => forms.map((f) => `${c}:${f}`));
}

export interface IdentityInput {
  channel: Channel;
  address: string;
  /**
   * Whether the channel vouches for the address (an SMS sender, an e-mail's envelope, a visitor id we
   * issued): default true. False for contact data someone typed in (pre-chat or offline form).
   */
  verified?: boolean;
}

export interface IdentitiesOptions {
  /** Region numbers without a country code are read in (ISO 3166 alpha-2). */
  defaultRegion: CountryCode;
}

const CACHE_LIMIT = 50_000;

type IdentityRow = { customerId: Types.ObjectId; channels?: string[] | null };

export class Identities {
  /** identity key → customer id. Dropped for a merged customer in every process (see redirect). */
  private cache = new Map<string, Types.ObjectId>();
  private resolving = new Map<string, Promise<Types.ObjectId>>();
  /** Merged customer id → the customer it was merged into. */
  private merged = new Map<string, Types.ObjectId>();
  /** "key|channel" already recorded on the identity (its channels list). */
  private seenOn = new Set<string>();
  /** "channel|address as sent" → normalised: parsing a phone number costs ~50 µs, a lookup here ~0.1. */
  private normalised = new Map<string, NormalisedAddress>();

  constructor(
    private readonly m: Models,
    readonly opts: IdentitiesOptions,
  ) {}

  normalise(channel: Channel, raw: string): NormalisedAddress {
    const k = `${channel}|${raw}`;
    let n = this.normalised.get(k);
    if (!n) {
      n = normaliseAddress(channel, raw, this.opts.defaultRegion);
      if (this.normalised.size >= CACHE_LIMIT) this.normalised.clear();
      this.normalised.set(k, n);
    }
    return n;
  }

  /** Load the merges made so far (at start-up: the merged customers are few and never change back). */
  async loadMerges(): Promise<void> {
    const rows = await this.m.Customer.find({ mergedInto: { $exists: true, $ne: null } }, { _id: 1, mergedInto: 1 }).lean();
    for (const r of rows) this.merged.set(String(r._id), r.mergedInto as Types.ObjectId);
  }

  /** A customer was merged into another (here or in another process). */
  customerMerged(from: string, into: string): void {
    this.merged.set(from, new Types.ObjectId(into));
    for (const [k, v] of this.cache) if (String(v) === from) this.cache.delete(k);
  }

  /** The customer a customer id stands for now (follows merges, which may chain). */
  current(id: Types.ObjectId): Types.ObjectId {
    let cur = id;
    for (let i = 0; i < 16; i++) {
      const next = this.merged.get(String(cur));
      if (!next) return cur;
      cur = next;
    }
    return cur;
  }

  /** Resolve (find, or create with a new customer) the customer of an address on a channel. */
  resolve(ident: IdentityInput, profile: { name?: string; language?: string } = {}): Types.ObjectId | Promise<Types.ObjectId> {
    const norm = this.normalise(ident.channel, ident.address);
    const key = identityKey(norm, ident.verified !== false);
    const cached = this.cache.get(key);
    if (cached && this.seenOn.has(`${key}|${ident.channel}`)) return this.current(cached);
    // Shared per identity and channel (the channel is recorded on the identity), in arrival order.
    const flight = `${key}|${ident.channel}`;
    let p = this.resolving.get(flight);
    if (!p) {
      p = this.findOrCreate(key, norm, ident, profile).finally(() => this.resolving.delete(flight));
      this.resolving.set(flight, p);
    }
    return p.then((id) => this.current(id));
  }

  /** The customer holding an address, if any (no customer is created). */
  async find(channel: Channel, raw: string): Promise<Types.ObjectId | null> {
    const norm = this.normalise(channel, raw);
    const row = (await this.m.Identity.findById(identityKey(norm)).lean()) ?? (await this.legacy(channel, raw, norm));
    return row ? this.current(row.customerId as Types.ObjectId) : null;
  }

  /** An identity stored under an old key, if any (the first of legacyKeys that exists). */
  private async legacy(channel: Channel, raw: string, norm: NormalisedAddress): Promise<IdentityRow | null> {
    const keys = legacyKeys(channel, raw, norm).filter((k) => k !== identityKey(norm));
    if (!keys.length) return null;
    const rows = (await this.m.Identity.find({ _id: { $in: keys } }).lean()) as (IdentityRow & { _id: string })[];
    return keys.map((k) => rows.find((r) => r._id === k)).find(Boolean) ?? null;
  }

  private async findOrCreate(key: string, norm: NormalisedAddress, ident: IdentityInput, profile: { name?: string; language?: string }): Promise<Types.ObjectId> {
    let row: IdentityRow | null = (await this.m.Identity.findById(key).lean()) as IdentityRow | null;
    if (!row && ident.verified !== false) {
      // Stored before identities were keyed by kind: adopt its customer under the new key.
      const old = await this.legacy(ident.channel, ident.address, norm);
      if (old) row = await this.claim(key, norm, ident.channel, old.customerId as Types.ObjectId);
    }
    // Claim the identity first, then create the customer it points to; a concurrent first contact
    // loses the claim on the unique _id and uses the winner's customer.
    if (!row) row = await this.claim(key, norm, ident.channel, new Types.ObjectId());
    const customerId = this.current(row.customerId as Types.ObjectId);
    // Idempotent: a crash between the claim and this upsert is repaired by the next contact.
    await this.m.Customer.updateOne(
      { _id: customerId },
      { $setOnInsert: { name: profile.name ?? norm.address, tier: 'standard', identities: [{ channel: ident.channel, address: norm.address }], language: profile.language } },
      { upsert: true },
    );
    // The channels an identity was seen on, for the customer panel (once per channel and process).
    if (!((row.channels as string[] | undefined) ?? []).includes(ident.channel)) await this.m.Identity.updateOne({ _id: key }, { $addToSet: { channels: ident.channel } });
    if (this.cache.size >= CACHE_LIMIT) {
      this.cache.clear();
      this.seenOn.clear();
    }
    this.cache.set(key, customerId);
    this.seenOn.add(`${key}|${ident.channel}`);
    return customerId;
  }

  private async claim(key: string, norm: NormalisedAddress, channel: Channel, customerId: Types.ObjectId): Promise<IdentityRow> {
    try {
      await this.m.Identity.create({ _id: key, customerId, kind: norm.kind, address: norm.address, channels: [channel], verified: !key.startsWith('unverified:') });
      return { customerId, channels: [channel] };
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      const row = (await this.m.Identity.findById(key).lean()) as IdentityRow | null;
      if (!row) throw e;
      return row;
    }
  }

  /** Validate and normalise an address an agent typed (refused with a clear 400 when it is not one). */
  parseRecipient(channel: Channel, raw: string): NormalisedAddress {
    const norm = this.normalise(channel, raw);
    if (!norm.valid) throw badRequest(norm.kind === 'phone' ? `"${raw.slice(0, 64)}" is not a valid phone number` : norm.kind === 'email' ? `"${raw.slice(0, 64)}" is not a valid e-mail address` : 'recipient is empty', 'invalid_address');
    return norm;
  }
}
