import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Logger } from '@signal-mesh/util-logging';

import { type Failure, type Rejection, toRejection } from './errors';

const HTTP_STATUS: Record<Failure, number> = {
  INVALID_ARGUMENT: HttpStatus.BAD_REQUEST,
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  PERMISSION_DENIED: HttpStatus.FORBIDDEN,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  // Google's API design guide maps FAILED_PRECONDITION to 400 (412 is about HTTP conditional requests).
  FAILED_PRECONDITION: HttpStatus.BAD_REQUEST,
  RESOURCE_EXHAUSTED: HttpStatus.TOO_MANY_REQUESTS,
  UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  INTERNAL: HttpStatus.INTERNAL_SERVER_ERROR,
};

/** 410 Gone: the versions asked for are no longer kept, the client must start over from a snapshot. */
const BY_CODE: Readonly<Record<string, number>> = { VERSION_EXPIRED: HttpStatus.GONE };

const HINTS: Readonly<Record<string, string>> = {
  VERSION_EXPIRED: 'take a snapshot (GET /v1/lists/{listId}/snapshot), then ask for changes since its ETag version',
};

/** The one mapping from a rejection to an HTTP status. */
export function httpStatusFor(rejection: Rejection): number {
  return BY_CODE[rejection.code] ?? HTTP_STATUS[rejection.failure];
}

export interface ErrorBody {
  error: { code: string; message: string; field?: string; hint?: string };
}

export function errorBody(rejection: Rejection): ErrorBody {
  const hint = HINTS[rejection.code];
  return { error: { code: rejection.code, message: rejection.message, ...(rejection.field ? { field: rejection.field } : {}), ...(hint ? { hint } : {}) } };
}

interface HttpResponse {
  status(code: number): { json(body: unknown): void };
  headersSent?: boolean;
  destroy?(): void;
}

/** Every error of every route (unknown routes included) as `{ error: { code, message, … } }`, never a stack. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<HttpResponse>();
    if (res.headersSent) {
      // A streamed body failed midway: cut the connection so the client sees a truncated response, not a short list.
      res.destroy?.();
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      res.status(status).json({ error: { code: status === HttpStatus.NOT_FOUND ? 'NOT_FOUND' : 'INVALID_REQUEST', message: exception.message } });
      return;
    }
    const rejection = toRejection(exception);
    if (rejection.failure === 'INTERNAL') this.logger.error({ err: exception }, 'request failed');
    res.status(httpStatusFor(rejection)).json(errorBody(rejection));
  }
}
