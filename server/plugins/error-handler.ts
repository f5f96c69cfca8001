/**
 * The one place errors become HTTP replies. A GatehouseError keeps its code and message;
 * fastify's own client errors (bad JSON, schema violations, oversized bodies) become 400 with
 * their message; anything else is logged with its cause and answered with a safe 500.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { ERROR_TABLE, GatehouseError, type ErrorBody } from '../../protocol/errors';

interface AjvIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * One readable line per schema violation, naming the field: ajv's own text shows regular
 * expressions and does not name unknown fields.
 */
function describeValidation(v: AjvIssue, context: string | undefined): string {
  const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const field = path || context || 'body';
  switch (v.keyword) {
    case 'additionalProperties':
      return `${path ? `${path}.` : ''}${String(v.params.additionalProperty)}: unknown field`;
    case 'required':
      return `${path ? `${path}.` : ''}${String(v.params.missingProperty)}: is required`;
    case 'pattern':
      return /email/i.test(field) ? `${field}: not an email address` : `${field}: has an invalid format (letters, digits, dots, dashes and underscores, starting with a letter or digit)`;
    default:
      return `${field}: ${v.message ?? 'is invalid'}`;
  }
}

export function registerErrorHandler(app: FastifyInstance, log: (msg: string) => void): void {
  app.setErrorHandler((err: FastifyError | GatehouseError | Error, req, reply) => {
    let body: ErrorBody;
    let status: number;
    if (err instanceof GatehouseError) {
      status = err.httpStatus;
      body = { error: { code: err.code, message: err.message } };
    } else if ('code' in err && err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      status = 400;
      body = { error: { code: 'BAD_REQUEST', message: `request body too large (limit ${req.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit} bytes)` } };
    } else if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      status = 400;
      const msg = 'validation' in err && err.validation?.[0] ? `invalid request: ${describeValidation(err.validation[0], err.validationContext)}` : err.message;
      body = { error: { code: 'BAD_REQUEST', message: msg.slice(0, 300) } };
    } else {
      log(`${req.method} ${req.url.split('?')[0]}: ${err.stack ?? err.message}`);
      status = 500;
      body = { error: { code: 'INTERNAL', message: ERROR_TABLE.INTERNAL.message } };
    }
    void reply.code(status).type('application/json').send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } } satisfies ErrorBody);
  });
}
