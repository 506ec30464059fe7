import { createHash } from 'node:crypto';

/**
 * The two forms of the password login_device takes (docs/protocol.md, section 5, Login): 'password' sends it
 * in base64; login version 2 sends 'password2', the base64 of its SHA-1 in hex, instead.
 */
export type AesPasswordForm = 'password' | 'password2';

/** The order tried when the device's login version is not known: the first form, then version 2's. */
export const PASSWORD_FORMS: readonly AesPasswordForm[] = ['password', 'password2'];

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function sha1Hex(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

/** The params of login_device: `username` is base64(sha1_hex(e-mail)) in both forms. */
export function loginParams(username: string, password: string, form: AesPasswordForm): Record<string, string> {
  const user = base64(sha1Hex(username));
  return form === 'password' ? { username: user, password: base64(password) } : { username: user, password2: base64(sha1Hex(password)) };
}

/** The forms to try, in order: a known login version's own first. */
export function passwordForms(loginVersion?: number): AesPasswordForm[] {
  return loginVersion === 2 ? ['password2', 'password'] : [...PASSWORD_FORMS];
}
