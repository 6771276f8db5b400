/**
 * Sign in to the agent console in a Chromium page as a person does (the sign-in form), for the e2e
 * files: one copy of the form's test ids and of what "signed in" means, instead of one per file.
 */
import type { Page } from 'playwright-core';

/**
 * What to wait for after submitting: the console's realtime connection up (`online`, the default),
 * the connection indicator shown whatever its state (`connected`), the signed-in user's name
 * (`user`), or nothing (`submitted`: for roles without a realtime console, or a step that waits
 * for its own element).
 */
export type SignedIn = 'online' | 'connected' | 'user' | 'submitted';

export async function login(page: Page, base: string, user: string, o: { password?: string; until?: SignedIn; timeout?: number } = {}): Promise<void> {
  await page.goto(`${base}/console/`);
  await page.getByTestId('login-username').fill(user);
  await page.getByTestId('login-password').fill(o.password ?? `${user}pass`);
  await page.getByTestId('login-submit').click();
  const timeout = o.timeout ?? 15_000;
  const until = o.until ?? 'online';
  if (until === 'online') await page.locator('[data-testid=connection-state][data-online=true]').waitFor({ timeout });
  else if (until === 'connected') await page.locator('[data-testid=connection-state]').waitFor({ timeout });
  else if (until === 'user') await page.getByTestId('current-user').waitFor({ timeout });
}
