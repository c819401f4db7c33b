// The sandbox's HTTP error: every refusal the API gives is one of these, rendered as
// {code, message, status} (plus details on 400) by the server in one place.

export interface ErrorDetail {
  /** JSON path of the offending field, e.g. "approverResources[1].resourceId". */
  field: string;
  message: string;
}

export type ApiErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TOO_MANY_REQUESTS'
  | 'REQUEST_TIMEOUT'
  | 'INTERNAL'
  | 'BAD_GATEWAY'
  | 'SERVICE_UNAVAILABLE'
  | 'GATEWAY_TIMEOUT';

const codeByStatus: Record<number, ApiErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

export class ApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly details: ErrorDetail[] | undefined;

  constructor(status: number, message: string, details?: ErrorDetail[]) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = codeByStatus[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
    this.details = details;
  }

  body(): { code: ApiErrorCode; message: string; status: number; details?: ErrorDetail[] } {
    return this.status === 400
      ? { code: this.code, message: this.message, status: this.status, details: this.details ?? [] }
      : { code: this.code, message: this.message, status: this.status };
  }
}

export function badRequest(message: string, details: ErrorDetail[] = []): ApiError {
  return new ApiError(400, message, details);
}

export function notFound(what: string): ApiError {
  return new ApiError(404, `${what} not found`);
}

export function conflict(message: string): ApiError {
  return new ApiError(409, message);
}
