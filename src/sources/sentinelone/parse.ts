import * as z from 'zod';
import { describeFirstIssue, parseEach } from '../vendor-body.js';

export const InitQuerySchema = z.looseObject({ data: z.looseObject({ queryId: z.string().min(1) }) });

/** `responseState` values from the 2.1 swagger; unknown future states are read as still running. */
export const QueryStatusSchema = z.looseObject({
  data: z.looseObject({
    responseState: z.string().min(1),
    progressStatus: z.number().nullish(),
  }),
});

const PaginationSchema = z.looseObject({ nextCursor: z.string().nullish(), totalItems: z.number().int().nullish() });

export const EventsPageSchema = z.looseObject({ data: z.array(z.record(z.string(), z.unknown())), pagination: PaginationSchema.nullish() });

const numeric = z.union([z.number(), z.string().regex(/^-?\d+$/).transform(Number)]);
const text = z.string().nullish();

export const IpConnectEventSchema = z.looseObject({
  id: z.union([z.string().min(1), z.number().int().transform(String)]),
  eventTime: z.iso.datetime({ offset: true }),
  eventType: text,
  agentName: text,
  agentUuid: text,
  agentIp: text,
  srcIp: text,
  srcPort: numeric.nullish(),
  dstIp: text,
  dstPort: numeric.nullish(),
  netConnStatus: text,
  netEventDirection: text,
  netProtocolName: text,
  metaEventName: text,
  srcProcName: text,
  srcProcPid: numeric.nullish(),
  srcProcImagePath: text,
  srcProcCmdLine: text,
  srcProcImageSha1: text,
  srcProcImageSha256: text,
  srcProcUser: text,
  srcProcParentName: text,
});
export type IpConnectEvent = z.output<typeof IpConnectEventSchema>;

export const AgentSchema = z.looseObject({
  uuid: z.string().min(1),
  computerName: z.string().nullish(),
  lastActiveDate: z.string().nullish(),
});
export type Agent = z.output<typeof AgentSchema>;

export const AgentsPageSchema = z.looseObject({ data: z.array(AgentSchema), pagination: PaginationSchema.nullish() });

export { parseBody } from '../vendor-body.js';

export function parseEvents(sourceId: string, rows: readonly unknown[]): IpConnectEvent[] {
  return parseEach(
    sourceId,
    IpConnectEventSchema,
    rows,
    (index, error) => `Deep Visibility event ${index} is not a readable IP Connect event (${describeFirstIssue(error)})`,
  );
}
