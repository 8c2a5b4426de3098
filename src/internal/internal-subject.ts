import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';

/**
 * An Auth0 user id (`auth0|…`, `google-oauth2|…`, `samlp|connection|…`): printable, no whitespace, at
 * most 255 characters. Machine (`…@clients`) and agent (`agent|…`) subjects are never people, so the
 * internal routes never make a user row, a personal organization or a membership for one.
 */
const USER_SUBJECT = /^[^\p{Cc}\p{Z}]{1,255}$/u;

export function isPersonSubject(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    USER_SUBJECT.test(value) &&
    !value.endsWith('@clients') &&
    !value.startsWith('agent|')
  );
}

/** `user_id` of an internal route: an Auth0 user id of a person (see `isPersonSubject`). */
export function IsPersonSubject(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isPersonSubject',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: (args: ValidationArguments) =>
          `${args.property} must be the Auth0 user id of a person (no whitespace, at most 255 characters, not a client or agent)`,
        ...options,
      },
      validator: { validate: isPersonSubject },
    });
}

/** Auth0 Organization ids look like `org_abc123`. */
export const AUTH0_ORG_ID = /^org_[A-Za-z0-9]{1,64}$/;
