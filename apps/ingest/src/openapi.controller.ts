import { Controller, Get } from '@nestjs/common';

import { OPENAPI_DOCUMENT } from './openapi';

/** Serves the REST API's OpenAPI 3.1 document (no authentication: it holds no data). */
@Controller()
export class OpenApiController {
  @Get('v1/openapi.json')
  document(): typeof OPENAPI_DOCUMENT {
    return OPENAPI_DOCUMENT;
  }
}
