import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Environment } from '@hookstream/secrets';

/** Who is calling: one tenant in one environment, as its API key says. */
export interface Principal {
  readonly tenantId: string;
  readonly environment: Environment;
  readonly keyId: string;
}

export interface AuthenticatedRequest {
  principal?: Principal;
}

export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without ApiKeyGuard');
  return principal;
});
