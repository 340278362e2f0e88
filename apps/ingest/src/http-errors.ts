import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Logger } from '@signal-mesh/util-logging';

import { type Failure, type Rejection, rejectionOf } from './errors';
import { restField } from './rest-items';

const HTTP_STATUS: Record<Failure, number> = {
  INVALID_ARGUMENT: HttpStatus.BAD_REQUEST,
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  PERMISSION_DENIED: HttpStatus.FORBIDDEN,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  ALREADY_EXISTS: HttpStatus.CONFLICT,
  RESOURCE_EXHAUSTED: HttpStatus.TOO_MANY_REQUESTS,
  // Google's API design guide maps FAILED_PRECONDITION to 400 (412 is about HTTP conditional requests).
  FAILED_PRECONDITION: HttpStatus.BAD_REQUEST,
  UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  INTERNAL: HttpStatus.INTERNAL_SERVER_ERROR,
};

const BY_CODE: Readonly<Record<string, number>> = {
  PAYLOAD_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  BATCH_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  UNSUPPORTED_MEDIA_TYPE: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
};

/** The one mapping from a rejection to an HTTP status. */
export function httpStatusFor(rejection: Rejection): number {
  return BY_CODE[rejection.code] ?? HTTP_STATUS[rejection.failure];
}

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

export function errorBody(rejection: Rejection): ErrorBody {
  const field = restField(rejection.field);
  return { error: { code: rejection.code, message: rejection.message, ...(field ? { field } : {}) } };
}

interface HttpResponse {
  setHeader(name: string, value: string): void;
  status(code: number): { json(body: unknown): void };
  headersSent?: boolean;
}

/** Every error of every route (unknown routes included) as `{ error: { code, message, field } }`, never a stack. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<HttpResponse>();
    if (res.headersSent) return;
    if (exception instanceof HttpException) {
      // Nest's own errors: unknown route (404), wrong method.
      const status = exception.getStatus();
      res.status(status).json({ error: { code: status === HttpStatus.NOT_FOUND ? 'NOT_FOUND' : 'INVALID_REQUEST', message: exception.message } });
      return;
    }
    const rejection = rejectionOf(exception);
    if (rejection.failure === 'INTERNAL') this.logger.error({ err: exception }, 'request failed');
    if (rejection.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(rejection.retryAfterSeconds));
    res.status(httpStatusFor(rejection)).json(errorBody(rejection));
  }
}
