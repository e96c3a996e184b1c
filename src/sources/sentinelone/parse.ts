import * as z from 'zod';
import { isoUtcMs } from '../process-start.js';
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
const timestamp = z.iso.datetime({ offset: true }).nullish();
/** An older-name field only stands in for a missing newer one: unreadable, it is absent rather than a bad row. */
const olderName = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
/** A process start time (`2022-02-18T11:13:26.812Z` in real rows): unreadable, it is absent rather than a bad row. */
const startTime = z.unknown().transform(isoUtcMs).optional();

/**
 * An IP Connect row. The 2.1 swagger names only the older fields (`createdAt`, `direction`, `processName`, ...);
 * real rows carry the newer ones (`eventTime`, `netEventDirection`, `srcProcName`, ...) next to them, and a tenant
 * may send either alone. The newer name wins, and the parsed event carries the newer names only.
 */
export const IpConnectEventSchema = z
  .looseObject({
    id: z.union([z.string().min(1), z.number().int().transform(String)]),
    eventTime: timestamp,
    createdAt: olderName(timestamp),
    eventType: text,
    agentName: text,
    agentUuid: text,
    agentIp: text,
    srcIp: text,
    srcPort: numeric.nullish(),
    dstIp: text,
    dstPort: numeric.nullish(),
    netConnStatus: text,
    connectionStatus: olderName(text),
    netEventDirection: text,
    direction: olderName(text),
    netProtocolName: text,
    metaEventName: text,
    srcProcName: text,
    processName: olderName(text),
    srcProcPid: numeric.nullish(),
    pid: olderName(numeric.nullish()),
    srcProcImagePath: text,
    processImagePath: olderName(text),
    srcProcCmdLine: text,
    processCmd: olderName(text),
    srcProcImageSha1: text,
    processImageSha1Hash: olderName(text),
    srcProcImageSha256: text,
    srcProcUser: text,
    processUserName: olderName(text),
    // The swagger's required `user` is the acting process's user (stix-shifter's sample has it equal to srcProcUser).
    user: olderName(text),
    srcProcParentName: text,
    parentProcessName: olderName(text),
    // The swagger has no older name for the parent's image path.
    srcProcParentImagePath: olderName(text),
    srcProcStartTime: startTime,
    processStartTime: startTime,
  })
  .transform((row, ctx) => {
    const eventTime = row.eventTime ?? row.createdAt;
    if (!eventTime) {
      ctx.addIssue({ code: 'custom', path: ['eventTime'], message: 'Invalid input: expected eventTime or createdAt, received neither' });
      return z.NEVER;
    }
    return {
      id: row.id,
      eventTime,
      agentName: row.agentName,
      agentUuid: row.agentUuid,
      agentIp: row.agentIp,
      srcIp: row.srcIp,
      srcPort: row.srcPort,
      dstIp: row.dstIp,
      dstPort: row.dstPort,
      netConnStatus: row.netConnStatus ?? row.connectionStatus,
      netEventDirection: row.netEventDirection ?? row.direction,
      netProtocolName: row.netProtocolName,
      metaEventName: row.metaEventName,
      srcProcName: row.srcProcName ?? row.processName,
      srcProcPid: row.srcProcPid ?? row.pid,
      srcProcImagePath: row.srcProcImagePath ?? row.processImagePath,
      srcProcCmdLine: row.srcProcCmdLine ?? row.processCmd,
      srcProcImageSha1: row.srcProcImageSha1 ?? row.processImageSha1Hash,
      srcProcImageSha256: row.srcProcImageSha256,
      srcProcUser: row.srcProcUser ?? row.processUserName ?? row.user,
      srcProcParentName: row.srcProcParentName ?? row.parentProcessName,
      srcProcParentImagePath: row.srcProcParentImagePath,
      /** Epoch ms; the first of the two names that holds a readable time. */
      srcProcStartTime: row.srcProcStartTime ?? row.processStartTime,
    };
  });
export type IpConnectEvent = z.output<typeof IpConnectEventSchema>;

export const AgentSchema = z.looseObject({
  uuid: z.string().min(1),
  computerName: z.string().nullish(),
  /** The agent's local interfaces and their addresses (`inet`). */
  networkInterfaces: z.array(z.looseObject({ inet: z.array(z.string()).nullish() })).nullish(),
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
