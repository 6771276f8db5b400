/** The one factory: a node of the flow → its verb. */
import type { FlowNode } from '../flow-schema.js';
import { CollectVerb } from './collect.js';
import { CallbackVerb, HangupVerb, QueueVerb, TransferVerb } from './leave.js';
import { LookupVerb } from './lookup.js';
import { MenuVerb } from './menu.js';
import { PlayVerb } from './play.js';
import { ConditionVerb, SetPriorityVerb, SetTagVerb } from './small.js';
import type { Verb } from './verb.js';
import { VoicemailVerb } from './voicemail.js';

export function makeVerb(n: FlowNode): Verb {
  switch (n.type) {
    case 'play':
      return new PlayVerb(n);
    case 'menu':
      return new MenuVerb(n);
    case 'collect':
      return new CollectVerb(n);
    case 'lookup':
      return new LookupVerb(n);
    case 'condition':
      return new ConditionVerb(n);
    case 'setTag':
      return new SetTagVerb(n);
    case 'setPriority':
      return new SetPriorityVerb(n);
    case 'queue':
      return new QueueVerb(n);
    case 'callback':
      return new CallbackVerb(n);
    case 'voicemail':
      return new VoicemailVerb(n);
    case 'transfer':
      return new TransferVerb(n);
    case 'hangup':
      return new HangupVerb(n);
  }
}

export { Killed, type Verb, type VerbResult } from './verb.js';
