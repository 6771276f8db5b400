// Who asked for the "new conversation" dialog and with what filled in (the inbox button, the "n" key,
// or a contact point in the customer panel). One dialog for the whole console.
import { reactive } from 'vue';
import type { Channel } from '../../types';

export interface NewConversationPreset { channel?: Channel; to?: string }

export const newConversation = reactive<{ open: boolean; preset: NewConversationPreset }>({ open: false, preset: {} });

export function openNewConversation(preset: NewConversationPreset = {}) {
  newConversation.preset = preset;
  newConversation.open = true;
}
export function closeNewConversation() {
  newConversation.open = false;
}
