import { EventCatalogue, loadSchemaFiles, TEST_EVENT_HEADER, TEST_EVENT_HEADER_VALUE } from '@hookstream/contracts';
import { matchesReplay, type ReplayCriteria } from './replay-match';

const catalogue = new EventCatalogue(loadSchemaFiles());
const criteria: ReplayCriteria = {
  endpoint: { id: 'ep_1', tenantId: 'ten_a', environment: 'live', eventTypes: ['*'] },
  since: 1_000,
  until: 2_000,
};
const event = { tenantId: 'ten_a', environment: 'live' as const, type: 'payin.succeeded', createdAt: 1_500 };

describe('matchesReplay', () => {
  it("matches the owner's events of a subscribed type created in [since, until)", () => {
    expect(matchesReplay(event, undefined, criteria, catalogue)).toBe(true);
    expect(matchesReplay({ ...event, createdAt: 1_000 }, undefined, criteria, catalogue)).toBe(true);
    expect(matchesReplay({ ...event, createdAt: 2_000 }, undefined, criteria, catalogue)).toBe(false);
    expect(matchesReplay({ ...event, createdAt: 999 }, undefined, criteria, catalogue)).toBe(false);
  });

  it("never matches another tenant's or the other environment's events", () => {
    expect(matchesReplay({ ...event, tenantId: 'ten_b' }, undefined, criteria, catalogue)).toBe(false);
    expect(matchesReplay({ ...event, environment: 'sandbox' }, undefined, criteria, catalogue)).toBe(false);
  });

  it('keeps to the types the endpoint receives, and to the requested ones', () => {
    const payoutsOnly = { ...criteria, endpoint: { ...criteria.endpoint, eventTypes: ['payout.updated'] } };
    expect(matchesReplay(event, undefined, payoutsOnly, catalogue)).toBe(false);
    expect(matchesReplay({ ...event, type: 'payout.updated' }, undefined, payoutsOnly, catalogue)).toBe(true);
    expect(matchesReplay(event, undefined, { ...criteria, eventTypes: ['refund.updated'] }, catalogue)).toBe(false);
    expect(matchesReplay(event, undefined, { ...criteria, eventTypes: ['payin.succeeded'] }, catalogue)).toBe(true);
  });

  it('leaves out opt-in types under "*", test events, system events and unknown types', () => {
    expect(matchesReplay({ ...event, type: 'balance.threshold_reached' }, undefined, criteria, catalogue)).toBe(false);
    const optedIn = { ...criteria, endpoint: { ...criteria.endpoint, eventTypes: ['balance.threshold_reached'] } };
    expect(matchesReplay({ ...event, type: 'balance.threshold_reached' }, undefined, optedIn, catalogue)).toBe(true);
    expect(
      matchesReplay(event, { [TEST_EVENT_HEADER]: Buffer.from(TEST_EVENT_HEADER_VALUE) }, criteria, catalogue),
    ).toBe(false);
    const systemType = catalogue.types().find((definition) => definition.versions.at(-1)?.schema['system'] === true);
    expect(systemType).toBeDefined();
    expect(matchesReplay({ ...event, type: systemType?.type ?? '' }, undefined, criteria, catalogue)).toBe(false);
    expect(matchesReplay({ ...event, type: 'no.such_type' }, undefined, criteria, catalogue)).toBe(false);
  });
});
