// The HZERO dialect: HZERO's OAuth login endpoints (paths, form parameters, camelCase answers and
// catalogue-key errors) as hand-written routes on the public HTTP listener, over the same
// handlers and domain as Signet's own API. README "HZERO dialect" lists them.
import type { Deps } from '../../../domain/deps.js';
import type { CallContext, Locale, ServiceHandlers } from '../../context.js';
import { toStatus, type RenderedStatus } from '../../status.js';
import type { ExtraRoute, HttpExchange } from '../server.js';
import { BodyTooLarge } from '../request.js';
import { localeOf } from './params.js';
import { readParams, type Params } from '../params.js';
import { mobileTokenRoute, oauthTokenRoute } from './token.js';
import { captchaCodeRoute, captchaImageRoute, initParamsRoute, sendPhoneCaptchaRoute } from './public.js';

/**
 * One request: its parameters (read once), and the locale they ask for, which every answer and
 * error text of the request uses.
 */
export class HzeroCall {
  private read?: Promise<Params>;
  private lang?: Locale;

  constructor(
    readonly x: HttpExchange,
    private readonly deps: Deps,
  ) {}

  async params(): Promise<Params> {
    this.read ??= readParams(this.x);
    const p = await this.read;
    this.lang = localeOf(p, this.x.ctx);
    return p;
  }

  /** The `lang` parameter's locale once the parameters are read; Accept-Language before. */
  locale(): Locale {
    return this.lang ?? this.x.ctx.locale;
  }

  ctx(): CallContext {
    return { ...this.x.ctx, locale: this.locale() };
  }

  /**
   * The one rendering of an error (status.ts), in the request's locale; bugs are logged there.
   * An oversized body is not answered here: it is thrown on to the server, which answers 413 and
   * closes the connection rather than read the rest.
   */
  status(err: unknown): RenderedStatus {
    if (err instanceof BodyTooLarge) throw err;
    const rs = toStatus(err, this.locale(), this.deps.log.child({ requestId: this.x.ctx.requestId, dialect: 'hzero' }));
    this.x.reason = rs.reason;
    return rs;
  }
}

/** The routes; `auth` are the AuthService handlers the gRPC and REST servers serve. */
export function hzeroRoutes(deps: Deps, auth: ServiceHandlers): ExtraRoute[] {
  const route = (method: string, path: string, fn: (c: HzeroCall) => Promise<void>): ExtraRoute => ({
    method,
    path,
    handle: (x) => fn(new HzeroCall(x, deps)),
  });
  return [
    route('POST', '/oauth/oauth/token', (c) => oauthTokenRoute(c, auth)),
    route('POST', '/oauth/token/mobile', (c) => mobileTokenRoute(c, auth)),
    route('GET', '/oauth/login/init-params', (c) => initParamsRoute(c, auth)),
    route('GET', '/oauth/public/captcha-code', (c) => captchaCodeRoute(c, deps)),
    route('GET', '/oauth/public/captcha/{captchaKey}', (c) => captchaImageRoute(c, deps)),
    route('GET', '/oauth/public/send-phone-captcha', (c) => sendPhoneCaptchaRoute(c, deps, auth)),
  ];
}
