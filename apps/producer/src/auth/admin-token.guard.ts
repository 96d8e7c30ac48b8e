import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ProducerConfig } from '../config';
import { ApiError } from '../http/api-error';
import { PRODUCER_CONFIG } from '../tokens';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(PRODUCER_CONFIG) config: ProducerConfig) {
    this.expected = digest(config.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['authorization'];
    const token = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
    if (!token || !timingSafeEqual(digest(token), this.expected)) throw ApiError.unauthorized('invalid admin token');
    return true;
  }
}
