import { startDnsStub, type DnsStub } from '../../../test/support/dns-stub';
import { createHostResolver, parseDnsServers } from './host-resolver';

describe('parseDnsServers', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    [' , ', undefined],
    ['10.0.0.2', ['10.0.0.2']],
    ['127.0.0.1:5353, [::1]:53', ['127.0.0.1:5353', '[::1]:53']],
  ])('%j', (text, expected) => expect(parseDnsServers(text)).toEqual(expected));

  it.each(['dns.example.com', '10.0.0.2:0', '10.0.0.2:99999', '::1:53x'])('refuses %j', (text) =>
    expect(() => parseDnsServers(text)).toThrow(/is not an IP address/),
  );
});

describe('createHostResolver', () => {
  let stub: DnsStub;

  beforeAll(async () => {
    stub = await startDnsStub();
  });
  afterAll(() => stub.close());

  it('asks the configured servers for A and AAAA records', async () => {
    stub.set('both.test', ['10.0.0.5', '::1']);
    stub.set('v6.test', ['fd00::7']);
    const resolve = createHostResolver([stub.server]);
    expect(await resolve('both.test')).toEqual([
      { address: '10.0.0.5', family: 4 },
      { address: '::1', family: 6 },
    ]);
    expect(await resolve('v6.test')).toEqual([{ address: 'fd00::7', family: 6 }]);
    stub.set('both.test', ['93.184.216.34']);
    expect(await resolve('both.test')).toEqual([{ address: '93.184.216.34', family: 4 }]);
  });

  it('rejects a name without records as getaddrinfo does', async () => {
    await expect(createHostResolver([stub.server])('nowhere.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('uses the system resolver without servers', async () => {
    expect(await createHostResolver(undefined)('localhost')).toContainEqual(
      expect.objectContaining({ address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) }),
    );
  });
});
