import { chance, pick } from './seeded.js';

/** What the simulated provider and receiver do to one event: the faults a real integration meets. */
export type EventPlan = {
  index: number;
  /** The Standard Webhooks `webhook-id`: the same on every delivery of the event. */
  eventId: string;
  messageId: string;
  from: string;
  subject: string;
  /** Delivery chains started for the event: 2 when the provider sends it twice, 3 when it races itself. */
  chains: number;
  /** Milliseconds between the starts of the chains (0 when they race). */
  chainGapMs: number;
  /** The first 2xx answer is lost on the way back, so the provider retries an event already handled. */
  dropFirstSuccess: boolean;
  /** A forged copy (same id, other body, wrong key) is sent before the real event. */
  forged: boolean;
  /** The receiver's handler throws after replying, on its first attempt. */
  handlerFailsFirst: boolean;
  /** The reply API answers 503 to the first reply, recording nothing. */
  replyApiErrorFirst: boolean;
  /** The reply API takes longer than the provider's delivery timeout. */
  slowReply: boolean;
};

/** Fault rates of the demo. */
export const FAULT_RATES = {
  duplicate: 0.1,
  concurrent: 0.08,
  dropFirstSuccess: 0.1,
  forged: 0.05,
  handlerFailsFirst: 0.1,
  replyApiErrorFirst: 0.05,
  slowReply: 0.04,
} as const;

const SENDERS = ['ana@example.com', 'bo@example.org', 'chen@example.net', 'dev@example.io', 'eve@example.com'];
const SUBJECTS = ['Invoice question', 'Password reset', 'Shipping delay', 'Feature request', 'Refund', 'Hello'];

/** The plan for event `index` under `seed`. */
export function planEvent(seed: number, index: number): EventPlan {
  const roll = (fault: keyof typeof FAULT_RATES): boolean => chance(seed, fault, index) < FAULT_RATES[fault];
  const concurrent = roll('concurrent');
  const duplicate = !concurrent && roll('duplicate');
  const number = String(index + 1).padStart(4, '0');
  return {
    index,
    eventId: `msg_evt_${seed}_${number}`,
    messageId: `msg_${number}`,
    from: SENDERS[pick(seed, 'from', index, 0, SENDERS.length - 1)] ?? 'someone@example.com',
    subject: SUBJECTS[pick(seed, 'subject', index, 0, SUBJECTS.length - 1)] ?? 'Hello',
    chains: concurrent ? 3 : duplicate ? 2 : 1,
    chainGapMs: duplicate ? pick(seed, 'gap', index, 5, 60) : 0,
    dropFirstSuccess: roll('dropFirstSuccess'),
    forged: roll('forged'),
    handlerFailsFirst: roll('handlerFailsFirst'),
    replyApiErrorFirst: roll('replyApiErrorFirst'),
    slowReply: roll('slowReply'),
  };
}
