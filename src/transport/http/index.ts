export {
  createHttpServer,
  METADATA_HEADERS,
  type ExtraRoute,
  type HttpExchange,
  type HttpServerOptions,
} from './server.js';
export { CORS_ALLOW_HEADERS, CORS_MAX_AGE_SECONDS } from './cors.js';
export {
  HTTP_RULE_TAG,
  type GenericMethodDefinition,
  type GenericServiceDefinition,
} from './routes.js';
