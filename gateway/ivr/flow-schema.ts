/**
 * IVR flows as data: the node types ("verbs", after jambonz) as one discriminated union, validated by
 * zod at the edge (the admin API) and again when a stored flow is loaded. Graph rules (a start node, no
 * dangling next, no loop that passes no input) are in validate-flow.ts: a schema cannot see the graph.
 *
 * Shapes avoid arrays inside arrays (the embedded store cannot hold them): intervals are {from, to}.
 */
import { z } from 'zod';

/** Bounds: a flow is edited by people and run per call; these keep both sane. */
export const LIMITS = { nodes: 200, options: 12, textChars: 500, listItems: 100, maxIvrSec: 1800 } as const;

export const NodeId = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,47}$/, 'a node id is a letter then letters, digits, _ or - (up to 48)');
const Digit = z.string().regex(/^[0-9*#]$/, 'a digit is one of 0-9 * #');
const Queue = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'a queue id is lower-case letters, digits, _ and - (up to 32)');
const Label = z.string().trim().min(1).max(64);
const HHMM = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'a time is HH:MM, 00:00-24:00');
const Interval = z.object({ from: HHMM, to: HHMM }).strict().refine((i) => i.from < i.to, 'an interval ends after it starts');
const TimeZone = z.string().max(64).refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'not a known IANA time zone');
const Labels = z.array(Label).min(1).max(LIMITS.listItems);

/**
 * What the caller hears: text spoken by espeak-ng in zh or en (cached by text+voice, `{name}` is the
 * identified caller's name), or an uploaded recording by its prompt id.
 */
export const PromptRef = z.union([
  z.object({ text: z.string().trim().min(1).max(LIMITS.textChars), lang: z.enum(['zh', 'en']).default('zh') }).strict(),
  z.object({ file: z.string().regex(/^[0-9a-f]{24}$/, 'a prompt file is an uploaded prompt id') }).strict(),
]);
export type PromptRef = z.output<typeof PromptRef>;

/** Per-node input handling: how long to wait, how often to ask again, what to say when it goes wrong. */
const InputRules = {
  timeoutSec: z.number().min(1).max(60).default(5),
  retries: z.number().int().min(0).max(5).default(2),
  invalidPrompt: PromptRef.optional(),
  noInputPrompt: PromptRef.optional(),
  /** Where the caller goes when every retry failed. */
  onFail: NodeId,
};

export const MenuOption = z
  .object({
    digit: Digit,
    /** What the option is for; dynamic menus rank by it (ranking.ts). */
    intent: Label,
    /** Spoken in a dynamic menu as "<label>, press <digit>". */
    label: PromptRef.optional(),
    next: NodeId,
    /** Dynamic menus: wrap-up codes / tags of past contacts that mean this intent. */
    reasons: z.array(Label).max(20).optional(),
    /** Dynamic menus: segments for which this option ranks higher. */
    segments: z.array(Label).max(20).optional(),
    /** Dynamic menus: offered only to these segments / only when the caller has an open case. */
    onlySegments: z.array(Label).max(20).optional(),
    onlyWithOpenCase: z.boolean().optional(),
    /** Dynamic menus: a shortcut offered only when the caller's data points to it (ranking.ts LIKELY). */
    onlyWhenLikely: z.boolean().optional(),
  })
  .strict();
export type MenuOption = z.output<typeof MenuOption>;

const base = { id: NodeId, label: z.string().max(100).optional() };

const Play = z.object({ ...base, type: z.literal('play'), prompt: PromptRef, next: NodeId, bargeIn: z.boolean().default(true) }).strict();
const Menu = z
  .object({
    ...base,
    type: z.literal('menu'),
    /** Static menus say this; dynamic ones say it first (if given) and then each option's label. */
    prompt: PromptRef.optional(),
    options: z.array(MenuOption).min(1).max(LIMITS.options),
    dynamic: z.boolean().default(false),
    /** Dynamic menus present at most this many options (the likely ones first). */
    maxOptions: z.number().int().min(1).max(LIMITS.options).optional(),
    /** Dynamic menus: at most this many `onlyWhenLikely` shortcuts (the best ones). */
    maxLikely: z.number().int().min(1).max(LIMITS.options).default(2),
    /** Dynamic menus: when no shortcut is likely for this caller, go here at once, saying nothing. */
    whenNothingLikely: NodeId.optional(),
    ...InputRules,
  })
  .strict()
  .refine((m) => m.prompt || m.options.every((o) => o.label), { message: 'a menu needs a prompt, or a label on every option' })
  .refine((m) => new Set(m.options.map((o) => o.digit)).size === m.options.length, { message: 'two options use the same digit' });
const Collect = z
  .object({
    ...base,
    type: z.literal('collect'),
    prompt: PromptRef,
    /** Where the digits are kept for later nodes (lookup by: 'var'). */
    var: z.string().regex(/^[a-z][a-zA-Z0-9_]{0,31}$/),
    minLength: z.number().int().min(1).max(32).default(1),
    maxLength: z.number().int().min(1).max(32).default(16),
    terminator: Digit.nullable().default('#'),
    /** Seconds allowed between digits once the first one came. */
    interDigitSec: z.number().min(1).max(30).default(3),
    next: NodeId,
    ...InputRules,
  })
  .strict()
  .refine((c) => c.minLength <= c.maxLength, { message: 'minLength is more than maxLength' });
const Lookup = z
  .object({
    ...base,
    type: z.literal('lookup'),
    /** caller: by the calling number; card / account: by digits collected into `var`. */
    by: z.enum(['caller', 'card', 'account']),
    var: z.string().regex(/^[a-z][a-zA-Z0-9_]{0,31}$/).optional(),
    next: NodeId,
    notFound: NodeId,
  })
  .strict()
  .refine((l) => l.by === 'caller' || l.var, { message: 'a lookup by card or account names the collected var' });
export const Condition = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tier'), in: Labels }).strict(),
  z.object({ kind: z.literal('segment'), in: Labels }).strict(),
  z.object({ kind: z.literal('calledNumber'), in: z.array(z.string().regex(/^\+?[0-9]{2,20}$/)).min(1).max(LIMITS.listItems) }).strict(),
  z.object({ kind: z.literal('timeOfDay'), tz: TimeZone, from: HHMM, to: HHMM }).strict(),
  z
    .object({
      kind: z.literal('businessHours'),
      tz: TimeZone,
      /** '0' = Sunday. */
      week: z.partialRecord(z.enum(['0', '1', '2', '3', '4', '5', '6']), z.array(Interval).max(6)),
      /** YYYY-MM-DD in tz: closed all day. */
      holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).max(LIMITS.listItems).default([]),
    })
    .strict(),
  z.object({ kind: z.literal('openCase') }).strict(),
  /** The identified caller's language on file (skip the language menu for them). */
  z.object({ kind: z.literal('language'), in: Labels }).strict(),
]);
export type Condition = z.output<typeof Condition>;
const Cond = z.object({ ...base, type: z.literal('condition'), test: Condition, then: NodeId, else: NodeId }).strict();
const SetTag = z.object({ ...base, type: z.literal('setTag'), tag: Label, next: NodeId }).strict();
const SetPriority = z.object({ ...base, type: z.literal('setPriority'), priority: z.number().int().min(-100).max(100), next: NodeId }).strict();
const QueueNode = z.object({ ...base, type: z.literal('queue'), queue: Queue, skill: z.string().regex(/^[a-z][a-z0-9_.:-]{0,47}$/).optional(), prompt: PromptRef.optional() }).strict();
const Callback = z.object({ ...base, type: z.literal('callback'), queue: Queue, prompt: PromptRef.optional() }).strict();
const Voicemail = z.object({ ...base, type: z.literal('voicemail'), queue: Queue, prompt: PromptRef, maxSec: z.number().int().min(5).max(300).default(120) }).strict();
const Transfer = z.object({ ...base, type: z.literal('transfer'), to: z.string().regex(/^\+?[0-9]{2,20}$|^sip:[^\s]{3,200}$/, 'a number or a sip: URI'), prompt: PromptRef.optional() }).strict();
const Hangup = z.object({ ...base, type: z.literal('hangup'), prompt: PromptRef.optional() }).strict();

export const FlowNode = z.discriminatedUnion('type', [Play, Menu, Collect, Lookup, Cond, SetTag, SetPriority, QueueNode, Callback, Voicemail, Transfer, Hangup]);
export type FlowNode = z.output<typeof FlowNode>;
export type NodeOf<T extends FlowNode['type']> = Extract<FlowNode, { type: T }>;
/** Nodes that end the IVR (the call leaves it to a queue, a number, a mailbox, or ends). */
export const TERMINAL = new Set<FlowNode['type']>(['queue', 'callback', 'voicemail', 'transfer', 'hangup']);
/** Nodes that wait for the caller: a cycle through one of them cannot spin without input. */
export const INPUT = new Set<FlowNode['type']>(['menu', 'collect']);

/** VIP recognition: these callers skip the menus to their queue, greeted by name. */
export const VipRule = z
  .object({
    numbers: z.array(z.string().regex(/^\+?[0-9]{2,20}$/)).max(1000).default([]),
    calledNumbers: z.array(z.string().regex(/^\+?[0-9]{2,20}$/)).max(LIMITS.listItems).default([]),
    tiers: z.array(Label).max(20).default([]),
    queue: Queue,
    /** `{name}` is the caller's name; said only when the caller is identified. */
    greeting: PromptRef.optional(),
  })
  .strict();
export type VipRule = z.output<typeof VipRule>;

export const FlowBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    /** Called numbers (DNIS) this flow answers. */
    numbers: z.array(z.string().regex(/^\+?[0-9]{2,20}$/)).max(LIMITS.listItems).default([]),
    start: NodeId,
    nodes: z.array(FlowNode).min(1).max(LIMITS.nodes),
    /** The longest a caller stays in the IVR; then `onMaxTime` (a terminal node) or a hang-up. */
    maxIvrSec: z.number().int().min(10).max(LIMITS.maxIvrSec).default(300),
    onMaxTime: NodeId.optional(),
    vip: VipRule.optional(),
  })
  .strict();
export type FlowBody = z.input<typeof FlowBody>;
export type Flow = z.output<typeof FlowBody>;
