import * as z from 'zod';
import { epochSecondsMs } from '../process-start.js';
import { describeFirstIssue, parseEach } from '../vendor-body.js';

/** Falcon envelope (`msa.*`): `{meta, resources, errors}`. */
const EnvelopeMetaSchema = z.looseObject({
  pagination: z.looseObject({ offset: z.union([z.number().int(), z.string()]).optional(), limit: z.number().int().optional(), total: z.number().int() }).optional(),
});

export const DeviceIdsSchema = z.looseObject({ meta: EnvelopeMetaSchema, resources: z.array(z.string().min(1)).nullish() });

export const FalconDeviceSchema = z.looseObject({
  device_id: z.string().min(1),
  hostname: z.string().nullish(),
  machine_domain: z.string().nullish(),
  local_ip: z.string().nullish(),
  last_seen: z.string().nullish(),
});
export type FalconDevice = z.output<typeof FalconDeviceSchema>;

export const DeviceEntitiesSchema = z.looseObject({ meta: EnvelopeMetaSchema, resources: z.array(FalconDeviceSchema).nullish() });

/** StartSearchV1 answers LogScale's `{id, hashedQueryOnView}`; some gateway versions wrap it in `resources`. */
export const QueryJobCreatedSchema = z.union([
  z.looseObject({ id: z.string().min(1) }),
  z.looseObject({ resources: z.tuple([z.looseObject({ id: z.string().min(1) })]) }).transform((body) => ({ id: body.resources[0].id })),
]);

export const QueryJobStatusSchema = z.looseObject({
  done: z.boolean(),
  cancelled: z.boolean().optional(),
  events: z.array(z.record(z.string(), z.unknown())),
  metaData: z.looseObject({ pollAfter: z.number().nonnegative().optional() }).optional(),
});
export type QueryJobStatus = z.output<typeof QueryJobStatusSchema>;

/** LogScale hands most field values back as strings, whatever they hold. */
const numeric = z.union([z.number(), z.string().regex(/^-?\d+(?:\.\d+)?$/).transform(Number)]);
const text = z.string().nullish();
const count = numeric.pipe(z.number().int().nonnegative());

export const NetworkEventSchema = z.looseObject({
  '@id': z.string().min(1),
  '@timestamp': numeric.pipe(z.number().int()),
  aid: z.string().regex(/^[0-9a-f]{32}$/i),
  id: text,
  event_simpleName: text,
  LocalAddressIP4: text,
  LocalAddressIP6: text,
  LocalPort: numeric.nullish(),
  RemoteAddressIP4: text,
  RemoteAddressIP6: text,
  RemotePort: numeric.nullish(),
  Protocol: z.union([z.number(), z.string()]).nullish(),
  ConnectionDirection: z.union([z.number(), z.string()]).nullish(),
  ContextBaseFileName: text,
  ImageFileName: text,
  CommandLine: text,
  SHA1HashData: text,
  SHA256HashData: text,
  RawProcessId: numeric.nullish(),
  UserName: text,
  ParentBaseFileName: text,
  /** Epoch seconds with a fraction, as a string; anything else (or an unjoined process) is absent, not a bad event. */
  ProcessStartTime: z.unknown().transform(epochSecondsMs).optional(),
});
export type NetworkEvent = z.output<typeof NetworkEventSchema>;

export const BaselineRowSchema = z.looseObject({
  aid: z.string().regex(/^[0-9a-f]{32}$/i),
  ImageFileName: text,
  SHA1HashData: text,
  RemoteAddressIP4: text,
  RemoteAddressIP6: text,
  RemotePort: z.union([z.number(), z.string()]).nullish(),
  Protocol: z.union([z.number(), z.string()]).nullish(),
  EventCount: count,
  FirstSeen: numeric.pipe(z.number().int()),
  LastSeen: numeric.pipe(z.number().int()),
});
export type BaselineRow = z.output<typeof BaselineRowSchema>;

/** A row of the port prevalence job: the estate's host count, with one protocol/port group unless there is none. */
export const PortPrevalenceRowSchema = z.looseObject({
  EstateHosts: count,
  Protocol: z.union([z.number(), z.string()]).nullish(),
  RemotePort: z.union([z.number(), z.string()]).nullish(),
  Hosts: count.optional(),
});
export type PortPrevalenceRow = z.output<typeof PortPrevalenceRowSchema>;

/** A row of the destination prevalence job: one destination address, with the number of groups found. */
export const DestinationPrevalenceRowSchema = z.looseObject({
  Groups: count,
  RemoteAddressIP4: text,
  RemoteAddressIP6: text,
  Hosts: count,
});
export type DestinationPrevalenceRow = z.output<typeof DestinationPrevalenceRowSchema>;

export { parseBody } from '../vendor-body.js';

/** Every row validated; a bad row is an error naming the row and field, never a silent skip. */
export function parseRows<S extends z.ZodType>(sourceId: string, what: string, schema: S, rows: readonly unknown[]): z.output<S>[] {
  return parseEach(sourceId, schema, rows, (index, error) => `${what} event ${index} is not a readable event (${describeFirstIssue(error)})`);
}
