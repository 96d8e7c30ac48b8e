import { checkEndpointUrl, type Resolve } from './endpoint-url-policy';

const live = { environment: 'live', isLocal: true } as const;
const liveRemote = { environment: 'live', isLocal: false } as const;
const sandboxLocal = { environment: 'sandbox', isLocal: true } as const;

/** A resolver that knows a few names, as a DNS stub would answer them. */
const names: Record<string, string[]> = {
  'public.test': ['93.184.216.34'],
  'private.test': ['10.0.0.5'],
  'loopback.test': ['127.0.0.1'],
  'v6-loopback.test': ['::1'],
  'mixed.test': ['93.184.216.34', '192.168.1.10'],
};
const resolve: Resolve = async (host) => {
  const addresses = names[host];
  if (!addresses) throw Object.assign(new Error(`${host} does not resolve`), { code: 'ENOTFOUND' });
  return addresses;
};
const check = (url: string, context: Parameters<typeof checkEndpointUrl>[1] = live) =>
  checkEndpointUrl(url, context, resolve);

describe('checkEndpointUrl', () => {
  it.each([
    ['https://127.0.0.1/', '127.0.0.1', 'loopback'],
    ['https://127.1/', '127.0.0.1', 'loopback'],
    ['https://2130706433/', '127.0.0.1', 'loopback'],
    ['https://0177.0.0.1/', '127.0.0.1', 'loopback'],
    ['https://0x7f.0.0.1/', '127.0.0.1', 'loopback'],
    ['https://0x7f000001/', '127.0.0.1', 'loopback'],
    ['https://0.0.0.0/', '0.0.0.0', 'reserved'],
    ['https://0/', '0.0.0.0', 'reserved'],
    ['https://10.1.2.3/', '10.1.2.3', 'private'],
    ['https://167772161/', '10.0.0.1', 'private'],
    ['https://172.16.0.1/', '172.16.0.1', 'private'],
    ['https://192.168.0.1/', '192.168.0.1', 'private'],
    ['https://0300.0250.0.1/', '192.168.0.1', 'private'],
    ['https://100.64.0.1/', '100.64.0.1', 'cgnat'],
    ['https://169.254.169.254/latest/meta-data/', '169.254.169.254', 'metadata'],
    ['https://2852039166/', '169.254.169.254', 'metadata'],
    ['https://169.254.10.10/', '169.254.10.10', 'link-local'],
    ['https://[::1]/', '::1', 'loopback'],
    ['https://[::]/', '::', 'reserved'],
    ['https://[::ffff:127.0.0.1]/', '::ffff:7f00:1', 'loopback'],
    ['https://[::ffff:7f00:1]/', '::ffff:7f00:1', 'loopback'],
    ['https://[0:0:0:0:0:ffff:a9fe:a9fe]/', '::ffff:a9fe:a9fe', 'metadata'],
    ['https://[fc00::1]/', 'fc00::1', 'private'],
    ['https://[fd00::1]/', 'fd00::1', 'private'],
    ['https://[fe80::1]/', 'fe80::1', 'link-local'],
    ['https://[64:ff9b::10.0.0.5]/', '64:ff9b::a00:5', 'private'],
    ['https://[2002:7f00:1::]/', '2002:7f00:1::', 'loopback'],
    ['https://[::127.0.0.1]/', '::7f00:1', 'loopback'],
    ['https://private.test/', '10.0.0.5', 'private'],
    ['https://loopback.test/', '127.0.0.1', 'loopback'],
    ['https://v6-loopback.test/', '::1', 'loopback'],
    ['https://mixed.test/', '192.168.1.10', 'private'],
  ])('refuses %s in live, naming %s (%s)', async (url, address, kind) => {
    for (const context of [live, liveRemote]) {
      expect(await check(url, context)).toEqual([
        { field: 'url', message: `resolves to a ${kind} address (${address}), which is refused` },
      ]);
    }
  });

  it('refuses decimal IPv4 over http:// too, as http:// is refused in live', async () => {
    expect(await check('http://2130706433/')).toEqual([{ field: 'url', message: 'must use https://' }]);
  });

  it.each([
    ['https://localhost/', 'localhost', 'loopback'],
    ['https://LOCALHOST./', 'localhost.', 'loopback'],
    ['https://app.localhost/', 'app.localhost', 'loopback'],
    ['https://metadata.google.internal/computeMetadata/v1/', 'metadata.google.internal', 'metadata'],
    ['https://metadata/', 'metadata', 'metadata'],
  ])('refuses the host name of %s in live', async (url, host, kind) => {
    expect(await check(url)).toEqual([{ field: 'url', message: `${host} is a ${kind} host name, which is refused` }]);
  });

  it('accepts a public address or a name resolving only to public ones', async () => {
    expect(await check('https://93.184.216.34/hooks')).toEqual([]);
    expect(await check('https://public.test/hooks')).toEqual([]);
    expect(await check('https://[2606:4700::1111]/hooks')).toEqual([]);
    expect(await check('https://[64:ff9b::5db8:d822]/hooks')).toEqual([]);
  });

  it('refuses a name that does not resolve', async () => {
    expect(await check('https://nowhere.test/')).toEqual([
      { field: 'url', message: 'host nowhere.test does not resolve' },
    ]);
  });

  it('lets sandbox endpoints reach loopback and private addresses in local mode only', async () => {
    expect(await check('http://127.0.0.1:8080/', sandboxLocal)).toEqual([]);
    expect(await check('https://private.test/', sandboxLocal)).toEqual([]);
    expect(await check('https://2130706433/', { environment: 'sandbox', isLocal: false })).toHaveLength(1);
  });
});
