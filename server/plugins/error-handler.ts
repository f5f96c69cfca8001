/**
 * The one place errors become HTTP replies. A GatehouseError keeps its code and message;
 * fastify's own client errors (bad JSON, schema violations, oversized bodies) become 400 with
 * their message; anything else is logged with its cause and answered with a safe 500.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { ERROR_TABLE, GatehouseError, type ErrorBody } from '../../protocol/errors';

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
      // ajv does not name an unknown field in its message; the caller needs to know which.
      const extra = 'validation' in err && err.validation?.[0]?.keyword === 'additionalProperties' ? (err.validation[0].params as { additionalProperty?: string }).additionalProperty : undefined;
      const msg = 'validation' in err && err.validation ? `invalid request: ${err.message}${extra ? `: ${extra}` : ''}` : err.message;
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
