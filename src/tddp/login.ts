/** A TDDP debug login: the DES key of every request is made from it. */
export interface TddpLogin {
  username: string;
  password: string;
}

/** TP-Link's factory debug login, used whenever none is given. The one place it is written. */
export const TDDP_DEFAULT_LOGIN: Readonly<TddpLogin> = Object.freeze({ username: 'admin', password: 'admin' });

/** The login given (either part may be empty on purpose), or the factory one when neither is. */
export function tddpLoginOf(username: string | undefined, password: string | undefined): TddpLogin {
  if (!username && !password) return { ...TDDP_DEFAULT_LOGIN };
  return { username: username ?? '', password: password ?? '' };
}
