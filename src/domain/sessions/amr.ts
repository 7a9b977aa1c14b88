// Authentication method references (RFC 8176): how the user of a session proved who they are,
// given once when the session starts and repeated in every id_token the session issues.

/**
 * The values Signet's sign-ins give. RFC 8176 has none for a code sent by e-mail: `otp` (a
 * one-time password, which a mailed code is) is the nearest, and keeps it apart from `sms`.
 */
export const AMR = { password: 'pwd', sms: 'sms', emailCode: 'otp', multiFactor: 'mfa' } as const;

/** A code received at the phone (`sms`) or the mailbox (`otp`). */
export const codeAmr = (field: 'phone' | 'email'): string => (field === 'phone' ? AMR.sms : AMR.emailCode);
