// Hand-made service definitions with real google.api.http rule bytes, for templates and body
// mappings the Signet protos do not use yet.
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { HttpRule } from '../../src/gen/google/api/http.js';
import { Tenant, UpdateTenantRequest } from '../../src/gen/signet/auth/v1/admin.js';
import { HTTP_RULE_TAG, type GenericServiceDefinition } from '../../src/transport/http/index.js';

/** The method options ts-proto emits for `option (google.api.http) = {…}`. */
export const annotated = (rule: Partial<HttpRule>) => ({
  _unknownFields: {
    [HTTP_RULE_TAG]: [new BinaryWriter().bytes(HttpRule.encode(HttpRule.fromPartial(rule)).finish()).finish()],
  },
});

/** Service test.Test: one method per rule, each UpdateTenantRequest → Tenant. */
export function definition(rules: Record<string, Partial<HttpRule>>): GenericServiceDefinition {
  const methods: GenericServiceDefinition['methods'] = {};
  for (const [name, rule] of Object.entries(rules)) {
    methods[name] = {
      name,
      requestType: UpdateTenantRequest,
      responseType: Tenant,
      requestStream: false,
      responseStream: false,
      options: annotated(rule),
    };
  }
  return { name: 'Test', fullName: 'test.Test', methods };
}
