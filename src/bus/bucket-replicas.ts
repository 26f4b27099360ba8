// How many replicas the JetStream buckets weir creates get (job artifacts, ended jobs, object-store
// checkpoints): three on a cluster of three or more servers, so the loss of one server keeps them
// readable and writable; one on a single server (or a cluster of two, where a second replica would
// only add a server that must be up). Read from the server's INFO on the connection.

import type { NatsConnection } from "@nats-io/transport-node";

export function bucketReplicas(nats: NatsConnection): number {
  const info = nats.info;
  return info?.cluster !== undefined && (info.connect_urls?.length ?? 0) >= 3 ? 3 : 1;
}

/**
 * Creates a bucket with `bucketReplicas` replicas; one that exists already with another
 * configuration (e.g. made before the cluster grew, or by hand) is opened as it is.
 */
export async function createBucket<T>(nats: NatsConnection, create: (replicas: number) => Promise<T>, open: () => Promise<T>): Promise<T> {
  try {
    return await create(bucketReplicas(nats));
  } catch (error) {
    if (/already in use|different configuration/i.test((error as Error).message)) return open();
    throw error;
  }
}
