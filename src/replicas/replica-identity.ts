import { accessSync, constants, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Config } from '../config.js';

/** This bot process among the replicas sharing one state. */
export interface ReplicaIdentity {
  /** Unique per process: the lease rows' holder. */
  id: string;
  /** ATLAS_REPLICA_NAME, or the host name. */
  name: string;
  host: string;
  pid: number;
  startedAt: Date;
}

export function replicaIdentity(config: Pick<Config, 'env'>, startedAt: Date): ReplicaIdentity {
  const host = os.hostname();
  const name = config.env.ATLAS_REPLICA_NAME ?? host;
  // Two containers may both be pid 1 on hosts of the same name: a few random bytes keep ids apart.
  return { id: `${name}:${process.pid}:${randomBytes(3).toString('hex')}`, name, host, pid: process.pid, startedAt };
}

/** Whether this process reaches the Shadow Atlas data now: ATLAS_DATA_DIR is a directory it can read. */
export function reachesData(config: Pick<Config, 'dataDir'>): boolean {
  try {
    if (!statSync(config.dataDir).isDirectory()) return false;
    accessSync(config.dataDir, constants.R_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
