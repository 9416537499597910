import { type Kafka, Partitioners, type Producer } from 'kafkajs';

export interface LazyProducer {
  /** The connected producer, connecting on first use; a failed connect is tried again on the next call. */
  connected(): Promise<Producer>;
  /** Disconnects it if it was ever connected. */
  close(): Promise<void>;
}

/** A producer for operator routes: no Kafka connection until an operator first sends something. */
export function lazyProducer(kafka: Pick<Kafka, 'producer'>): LazyProducer {
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  return {
    connected() {
      connecting ??= (async () => {
        const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
        await p.connect();
        producer = p;
        return p;
      })().catch((err: unknown) => {
        connecting = undefined;
        throw err;
      });
      return connecting;
    },
    async close() {
      await connecting?.catch(() => undefined);
      await producer?.disconnect();
    },
  };
}
