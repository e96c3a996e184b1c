/** A simulated Windows host. */
export interface SimHost {
  /** Short NetBIOS-style name, e.g. FIN-WS-042. */
  hostname: string;
  fqdn: string;
  ip: string;
  /** The EDR's id for the host (40 hex characters, like MDE's DeviceId). */
  device_id: string;
}

export interface SimProcess {
  name: string;
  /** Full image path, file name included. */
  path: string;
  cmd_line: string;
  sha1: string;
  pid: number;
  /** DOMAIN\name */
  user: string;
  /** Parent image file name. */
  parent: string;
  /** Parent full image path (only some telemetry reports it: Sysmon `ParentImage`, S1 `srcProcParentImagePath`). */
  parent_path?: string;
  /** When this process instance started, epoch ms; absent when the scenario does not say. */
  started_at?: number;
  /** The company the binary's version info claims. */
  company?: string;
}

export interface SimDestination {
  ip: string;
  port: number;
  hostname?: string;
}

/** One outbound connection attempt, as any EDR would see it before its own wire format. */
export interface SimConnection {
  /** Stable: the same flow slot always yields the same id, whatever the query range. */
  id: string;
  host: SimHost;
  /** Epoch ms. */
  time: number;
  process: SimProcess;
  dst: SimDestination;
  protocol: 'tcp' | 'udp';
  outcome: 'success' | 'failure';
  /**
   * When the vendor ingested it, epoch ms: set for a backlog delivered at once (telemetry arriving late in a batch).
   * Absent: its time plus the fake's ingestion delay (`visibleAt`).
   */
  ingested_at?: number;
}

/** When a fake vendor has `connection` searchable: its own ingestion time, else its time plus the fake's delay. */
const visibleAt = (connection: SimConnection, ingestionDelayMs: number): number => connection.ingested_at ?? connection.time + ingestionDelayMs;

/** The connections a fake vendor has searchable at `nowMs`, each with when it became so (its ingestion time). */
export const searchableAt = (connections: readonly SimConnection[], ingestionDelayMs: number, nowMs: number): { connection: SimConnection; ingestedMs: number }[] =>
  connections.flatMap((connection) => {
    const ingestedMs = visibleAt(connection, ingestionDelayMs);
    return ingestedMs <= nowMs ? [{ connection, ingestedMs }] : [];
  });

export type ScenarioName = 'fallback' | 'benign';

export interface Scenario {
  name: ScenarioName;
  blockedAt: Date;
  hosts: readonly SimHost[];
  blockedIndicator: { type: 'ip'; value: string };
  /** What the fallback scenario's implant does after the block; absent for benign. */
  fallback?: {
    host: SimHost;
    process: SimProcess;
    dst: SimDestination;
    protocol: 'tcp';
    startsAt: Date;
  };
  /** Every connection in [from, to), sorted by time then id. */
  connections(from: Date, to: Date): SimConnection[];
}
