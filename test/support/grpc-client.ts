import { deliveryStatusProto } from '@hookstream/contracts';
import { credentials, loadPackageDefinition, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

type Unary = (
  request: object,
  metadata: Metadata,
  callback: (error: ServiceError | null, response: unknown) => void,
) => void;

/** A plaintext client of `hookstream.v1.DeliveryStatus`, calling with an API key in the metadata. */
export function deliveryStatusClient(address: string, apiKey?: string) {
  const definition = loadPackageDefinition(loadSync(deliveryStatusProto()));
  type ClientConstructor = new (address: string, creds: unknown) => Record<string, Unary>;
  const packages = definition['hookstream'] as unknown as Record<string, Record<string, ClientConstructor>>;
  const service = packages['v1']?.['DeliveryStatus'];
  if (!service) throw new Error('DeliveryStatus missing from the proto');
  const client = new service(address, credentials.createInsecure());
  const call = <T>(method: string, request: object) =>
    new Promise<T>((resolve, reject) => {
      const metadata = new Metadata();
      if (apiKey) metadata.set('authorization', `Bearer ${apiKey}`);
      const fn = client[method];
      if (!fn) return reject(new Error(`no method ${method}`));
      fn.call(client, request, metadata, (error, response) => (error ? reject(error) : resolve(response as T)));
    });
  return {
    getEvent: <T>(id: string) => call<T>('GetEvent', { id }),
    getDelivery: <T>(id: string) => call<T>('GetDelivery', { id }),
    listDeliveries: <T>(request: object) => call<T>('ListDeliveries', request),
    close: () => (client as unknown as { close(): void }).close(),
  };
}
