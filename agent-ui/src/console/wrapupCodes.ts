import { api } from './api';
import type { WrapUpCode } from '../types';

let cached: Promise<WrapUpCode[]> | null = null;
/** Wrap-up codes rarely change: fetch once per page load (retry after a failure). */
export function wrapUpCodes(): Promise<WrapUpCode[]> {
  cached ??= api.wrapUpCodes().then((r) => r.items).catch((e) => { cached = null; throw e; });
  return cached;
}
