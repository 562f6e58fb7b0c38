/**
 * Every error this API answers with: a named code, its HTTP status and its message, in one file
 * (the shape of fastify's lib/errors.js). Messages are salt-api's own wording where it has one,
 * so clients that match on text keep working.
 */

/**
 * The `version` of every request envelope. Salt 3006.17+, 3007.9+ and 3008 refuse anything below 3
 * (`minimum_auth_version`, CVE-2025-62349); older masters accept 3 for clear requests.
 */
export const REQUEST_PROTOCOL_VERSION = 3;

export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    /** Headers the answer carries along with the body (e.g. Retry-After). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = code;
  }
}

type ErrorFactory<A extends unknown[]> = ((...args: A) => ApiError) & { code: string; status: number };

function define<A extends unknown[]>(
  code: string,
  status: number,
  message: (...args: A) => string,
  headers: (...args: A) => Record<string, string> = () => ({}),
): ErrorFactory<A> {
  const factory = (...args: A) => new ApiError(code, status, message(...args), headers(...args));
  return Object.assign(factory, { code, status });
}

export const Errors = {
  // 400
  BadRequest: define('BAD_REQUEST', 400, (why: string) => why),
  InvalidJson: define('INVALID_JSON', 400, () => 'Invalid JSON document'),
  InvalidYaml: define('INVALID_YAML', 400, () => 'Invalid YAML document'),
  InvalidEncoding: define('INVALID_ENCODING', 400, () => 'Request body is not valid UTF-8'),
  LowstateNotList: define('LOWSTATE_NOT_LIST', 400, () => 'Lowstates must be a list'),
  InvalidField: define('INVALID_FIELD', 400, (field: string, expected: string) => `Invalid value for '${field}': expected ${expected}`),
  InvalidClient: define('INVALID_CLIENT', 400, (client: string) => `Invalid client specified: '${client}'`),
  ClientDisabled: define(
    'CLIENT_DISABLED',
    400,
    (client: string) => `Client disabled: '${client}'. Add to 'netapi_enable_clients' master config option to enable.`,
  ),
  SaltInvocation: define('SALT_INVOCATION_ERROR', 400, (message: string) => message),
  MissingArgument: define('MISSING_ARGUMENT', 400, (client: string) => `${client} takes at least 1 argument (0 given)`),
  TokenParamsRequired: define('TOKEN_PARAMS_REQUIRED', 400, () => 'Require "username", "password", and "eauth" params'),
  MissingField: define('MISSING_FIELD', 400, (field: string) => `Missing required field '${field}'`),
  InvalidMinionId: define(
    'INVALID_MINION_ID',
    400,
    () => "Invalid minion id: it must not be empty or contain '/', '\\', '..', NUL or control characters",
  ),
  // 401
  NotAuthenticated: define('NOT_AUTHENTICATED', 401, () => 'No permission -- see authorization schemes'),
  NoCredentials: define('NO_CREDENTIALS', 401, () => 'No authentication credentials given'),
  InvalidToken: define('INVALID_TOKEN', 401, () => 'Invalid token'),
  LoginFailed: define('LOGIN_FAILED', 401, () => 'Could not authenticate using provided credentials'),
  Authentication: define('AUTHENTICATION_ERROR', 401, () => 'Authentication error occurred.'),
  Authorization: define('AUTHORIZATION_ERROR', 401, () => 'Authorization error occurred.'),
  MasterAuth: define('MASTER_AUTH_ERROR', 401, (message: string) => message),
  RawShellRefused: define('RAW_SHELL_REFUSED', 401, () => 'Raw shell option not allowed.'),
  // 403, 404, 405
  BadIp: define('BAD_IP', 403, () => 'Bad IP'),
  OriginRefused: define('ORIGIN_REFUSED', 403, () => 'Origin not allowed: list it in cors_origin to use the session cookie from there'),
  NotFound: define('NOT_FOUND', 404, (path?: string) => (path ? `The path '${path}' was not found.` : 'Nothing matches the given URI')),
  MethodNotAllowed: define('METHOD_NOT_ALLOWED', 405, () => 'Specified method is invalid for this resource'),
  // 406, 413, 414
  UnsupportedContentType: define('UNSUPPORTED_CONTENT_TYPE', 406, () => 'Content type not supported'),
  NotAcceptable: define(
    'NOT_ACCEPTABLE',
    406,
    (accept: string, offered: string[]) =>
      `Your client sent this Accept header: ${accept}. But this resource only emits these media types: ${offered.join(', ')}.`,
  ),
  BodyTooLarge: define('BODY_TOO_LARGE', 413, (limit: number) => `Request body is larger than the limit of ${limit} bytes`),
  UrlTooLong: define('URL_TOO_LONG', 414, (limit: number) => `Request URL is longer than the limit of ${limit} characters`),
  // 429
  TooManyAttempts: define(
    'AUTH_THROTTLED',
    429,
    (retryAfter: number) => `Too many failed authentication attempts; try again in ${retryAfter} seconds`,
    (retryAfter: number) => ({ 'Retry-After': String(retryAfter) }),
  ),
  // 500
  Unexpected: define('UNEXPECTED', 500, () => 'An unexpected error occurred'),
  NotSerializable: define('NOT_SERIALIZABLE', 500, () => 'Could not serialize the return data from Salt.'),
  PublishFailed: define('PUBLISH_ERROR', 500, (message: string) => message),
  WheelFailed: define('WHEEL_ERROR', 500, (message: string) => message),
  SshFailed: define('SSH_ERROR', 500, (message: string) => message),
  SshUnavailable: define(
    'SSH_UNAVAILABLE',
    501,
    (command: string, why: string) =>
      `The ssh client needs salt-ssh, but '${command}' ${why}. Install salt-ssh on the API host or set the 'salt_ssh_path' master option to its absolute path.`,
  ),
  // 502
  ProtocolMismatch: define(
    'PROTOCOL_MISMATCH',
    502,
    () =>
      `The Salt master refused this API's requests as "bad load": it requires a newer request protocol than version ${REQUEST_PROTOCOL_VERSION}, which salt-api-koa speaks. Check the master's minimum_auth_version option.`,
  ),
  MasterError: define('MASTER_ERROR', 502, (message: string) => `The Salt master could not handle the request: ${message}`),
  // 503, 504
  MasterUnavailable: define('MASTER_UNAVAILABLE', 503, () => 'Salt Master is not available.'),
  ShuttingDown: define('SHUTTING_DOWN', 503, () => 'Server shutting down'),
  MetricsUnavailable: define('METRICS_UNAVAILABLE', 503, (why: string) => `The workers' metrics could not be collected: ${why}`),
  SshBusy: define(
    'SSH_BUSY',
    503,
    (max: number) => `Too many salt-ssh runs in progress: this API process runs at most ${max} at once (option ssh_max_concurrent). Try again when one has finished.`,
  ),
  ClientTimeout: define('CLIENT_TIMEOUT', 504, (what: string) => `${what} timed out`),
} as const;

/** The error a serializer throws for a body it cannot read: a 400 with `message`, in the client's format. */
export function badRequest(message: string): ApiError {
  return Errors.BadRequest(message);
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}
