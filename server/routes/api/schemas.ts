/** JSON Schema pieces shared by the routes (and so by the OpenAPI document). */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
export const EMAIL_PATTERN = '^[^\\s@]{1,64}@[^\\s@]{1,255}$';

export const nameParams = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', pattern: NAME_PATTERN } },
} as const;

export const emailParams = {
  type: 'object',
  required: ['email'],
  additionalProperties: false,
  properties: { email: { type: 'string', pattern: EMAIL_PATTERN } },
} as const;

export const idParams = (pattern: string) =>
  ({ type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', pattern } } }) as const;


/** An id checked by the route itself, so an id that cannot exist answers 404 like an unknown one. */
export const anyIdParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', maxLength: 64 } } } as const;

export const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;
