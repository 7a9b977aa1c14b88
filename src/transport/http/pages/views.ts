// The views of the hosted pages. Each takes what it shows and the URLs its forms post to; the
// routes (authorize.ts, device.ts) decide which to show.
import type { Locale } from '../../context.js';
import { alert, esc, field, hidden, notice } from './html.js';
import { scopeText, t } from './text.js';

/** A captcha to answer: the challenge id and its picture (SVG). */
export interface CaptchaShown {
  key: string;
  svg: string;
}

/** The RSA public key the page encrypts the password with (JWK n and e, modulus bytes). */
export interface RsaKey {
  n: string;
  e: string;
  bytes: number;
}

export interface LoginView {
  locale: Locale;
  csrf: string;
  /** Form targets. */
  loginUrl: string;
  sendCodeUrl: string;
  resetUrl: string | null;
  clientName: string;
  login?: string;
  error?: string;
  notice?: string;
  captcha?: (CaptchaShown & { for: 'password' | 'code' }) | null;
  rsa?: RsaKey | null;
  /** Offer the password form (off when the tenant wants a code on top of it). */
  password: boolean;
  /** A code was sent: ask for it. */
  sent?: { verificationId: string; to: string } | null;
}

export function loginView(v: LoginView): string {
  const L = v.locale;
  const csrf = hidden({ csrf: v.csrf });
  const pwCaptcha = v.captcha?.for === 'password' ? captchaBlock(L, v.captcha) : '';
  const codeCaptcha = v.captcha?.for === 'code' ? captchaBlock(L, v.captcha) : '';
  const pw = v.password
    ? `<form id="pw-form" method="post" action="${esc(v.loginUrl)}"${v.rsa ? ` data-n="${esc(v.rsa.n)}" data-e="${esc(v.rsa.e)}" data-k="${v.rsa.bytes}"` : ''}>
${csrf}${hidden({ method: 'password' })}${v.rsa ? hidden({ password: '' }) : ''}
${field('login', t(L, 'login'), { value: v.login, autocomplete: 'username', autofocus: !v.sent })}
${field('password', t(L, 'password'), { type: 'password', autocomplete: 'current-password', unnamed: !!v.rsa })}
${v.rsa ? `<p class="muted">${esc(t(L, 'passwordEncrypted'))}</p>` : ''}${pwCaptcha}
<button type="submit">${esc(t(L, 'submit'))}</button></form>
${v.resetUrl ? `<p><a href="${esc(v.resetUrl)}">${esc(t(L, 'forgot'))}</a></p>` : ''}<hr>`
    : `<p class="muted">${esc(t(L, 'secondFactor'))}</p>`;
  const code = v.sent
    ? `<form method="post" action="${esc(v.loginUrl)}">${csrf}${hidden({ method: 'code', verification_id: v.sent.verificationId, to: v.sent.to })}
${field('code', t(L, 'code'), { autocomplete: 'one-time-code', inputmode: 'numeric', autofocus: true })}
<button type="submit">${esc(t(L, 'submit'))}</button></form>`
    : `<form method="post" action="${esc(v.sendCodeUrl)}">${csrf}
${field('to', t(L, 'codeTo'), { autocomplete: 'username' })}${codeCaptcha}
<button type="submit" class="secondary">${esc(t(L, 'sendCode'))}</button></form>`;
  return `<p class="muted">${esc(t(L, 'signInTo', v.clientName))}</p>${alert(v.error ?? '')}${notice(v.notice ?? '')}${pw}
<h2 class="muted">${esc(t(L, 'withCode'))}</h2>${code}`;
}

function captchaBlock(L: Locale, c: CaptchaShown | null | undefined): string {
  if (!c) return '';
  const src = `data:image/svg+xml;base64,${Buffer.from(c.svg).toString('base64')}`;
  return `<div class="captcha">${hidden({ captcha_key: c.key })}<img src="${src}" alt="${esc(t(L, 'captchaImage'))}" width="120" height="40">
${field('captcha_answer', t(L, 'captcha'), { autocomplete: 'off' })}</div>`;
}

/**
 * RSA transport in the page: PKCS#1 v1.5 (what Signet's transport keys decrypt; WebCrypto has
 * only OAEP), with BigInt. The typed password has no name; its ciphertext goes in `password`.
 * That field is found by name alone: `form.elements.password` would also match the typed input's
 * id and be a RadioNodeList, whose value cannot be set.
 */
export const RSA_SCRIPT = `(function(){var f=document.getElementById('pw-form');if(!f||!f.dataset.n)return;
function big(b64){var s=atob(b64.replace(/-/g,'+').replace(/_/g,'/')),h='';for(var i=0;i<s.length;i++)h+=s.charCodeAt(i).toString(16).padStart(2,'0');return BigInt('0x'+h)}
function pow(b,x,m){var r=1n;b%=m;while(x>0n){if(x&1n)r=r*b%m;x>>=1n;b=b*b%m}return r}
var n=big(f.dataset.n),e=big(f.dataset.e),k=Number(f.dataset.k);
f.addEventListener('submit',function(){var m=new TextEncoder().encode(document.getElementById('password').value);
var ps=k-m.length-3,em=new Uint8Array(k),r=new Uint8Array(1);em[1]=2;
for(var i=0;i<ps;i++){do{crypto.getRandomValues(r)}while(r[0]===0);em[2+i]=r[0]}em.set(m,3+ps);
var h='';em.forEach(function(v){h+=v.toString(16).padStart(2,'0')});
var c=pow(BigInt('0x'+h),e,n).toString(16).padStart(2*k,'0'),s='';
for(var j=0;j<c.length;j+=2)s+=String.fromCharCode(parseInt(c.substr(j,2),16));
f.querySelector('input[name=password]').value=btoa(s)})})();`;

export interface ConsentView {
  locale: Locale;
  csrf: string;
  url: string;
  clientName: string;
  user: string;
  scopes: string[];
}

export function consentView(v: ConsentView): string {
  const L = v.locale;
  const items = v.scopes.map((s) => `<li>${esc(scopeText(L, s))}</li>`).join('');
  return `<p>${esc(t(L, 'consentAsk', v.clientName))}</p><ul>${items}</ul><p class="muted">${esc(t(L, 'signedInAs', v.user))}</p>
<form method="post" action="${esc(v.url)}">${hidden({ csrf: v.csrf })}<div class="row">
<button type="submit" name="decision" value="deny" class="secondary">${esc(t(L, 'deny'))}</button>
<button type="submit" name="decision" value="approve" autofocus>${esc(t(L, 'allow'))}</button></div></form>`;
}

export interface ResetView {
  locale: Locale;
  csrf: string;
  sendCodeUrl: string;
  resetUrl: string;
  backUrl: string;
  error?: string;
  captcha?: CaptchaShown | null;
  sent?: { verificationId: string; to: string } | null;
}

export function resetView(v: ResetView): string {
  const L = v.locale;
  const csrf = hidden({ csrf: v.csrf });
  const form = v.sent
    ? `<p class="notice" role="status">${esc(t(L, 'codeSent'))}</p><form method="post" action="${esc(v.resetUrl)}">${csrf}${hidden({ verification_id: v.sent.verificationId, to: v.sent.to })}
${field('code', t(L, 'code'), { autocomplete: 'one-time-code', inputmode: 'numeric', autofocus: true })}
${field('new_password', t(L, 'newPassword'), { type: 'password', autocomplete: 'new-password' })}
<button type="submit">${esc(t(L, 'resetSubmit'))}</button></form>`
    : `<form method="post" action="${esc(v.sendCodeUrl)}">${csrf}${field('to', t(L, 'codeTo'), { autocomplete: 'username', autofocus: true })}${captchaBlock(L, v.captcha)}
<button type="submit">${esc(t(L, 'sendCode'))}</button></form>`;
  return `${alert(v.error ?? '')}${form}<p><a href="${esc(v.backUrl)}">${esc(t(L, 'backToSignIn'))}</a></p>`;
}

export function messageView(message: string, isError: boolean): string {
  return isError ? alert(message) : notice(message);
}

export function deviceCodeView(L: Locale, csrf: string, url: string, userCode: string, error: string): string {
  return `<p>${esc(t(L, 'deviceAsk'))}</p>${alert(error)}<form method="post" action="${esc(url)}">${hidden({ csrf })}
${field('user_code', t(L, 'userCode'), { value: userCode, autocomplete: 'off', autofocus: true })}
<button type="submit">${esc(t(L, 'continue'))}</button></form>`;
}

export function deviceConfirmView(L: Locale, csrf: string, url: string, clientName: string, userCode: string, user: string): string {
  return `<p>${esc(t(L, 'deviceConfirm', clientName, userCode))}</p><p class="muted">${esc(t(L, 'signedInAs', user))}</p>
<form method="post" action="${esc(url)}">${hidden({ csrf, user_code: userCode })}<div class="row">
<button type="submit" name="decision" value="deny" class="secondary">${esc(t(L, 'deny'))}</button>
<button type="submit" name="decision" value="approve" autofocus>${esc(t(L, 'allow'))}</button></div></form>`;
}
