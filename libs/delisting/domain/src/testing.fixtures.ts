import { randomBytes } from 'node:crypto';

import type { ListableView, ViewContribution } from './derive';
import type { DelistEntry } from './model';

export const randomSignalId = (): string => `url_${randomBytes(16).toString('hex')}`;

export const contribution = (overrides: Partial<ViewContribution> = {}): ViewContribution => ({ marking: 'GREEN', opinion: 'POSITIVE', categories: ['service.nudify'], revoked: false, ...overrides });

export const urlView = (overrides: Partial<ListableView> = {}): ListableView => ({
  signalId: randomSignalId(),
  type: 'url',
  canonical: 'https://nudify.example.com/',
  url: { matchScope: 'HOST', registrableDomain: 'example.com' },
  contributions: [contribution()],
  ...overrides,
});

export const entry = (overrides: Partial<DelistEntry> = {}): DelistEntry => ({
  signalId: randomSignalId(),
  canonicalUrl: 'https://nudify.example.com/',
  matchScope: 'HOST',
  registrableDomain: 'example.com',
  categories: ['service.nudify'],
  firstListedAt: new Date('2025-06-01T12:00:00.000Z'),
  ...overrides,
});
