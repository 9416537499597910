// Produces the memory benchmark's backlog (bench/ingestor-memory.bench.ts) with Kafka's own Java client:
// kafkajs spends ~30 µs of CPU a message encoding, so 10 million took over half an hour on a loaded
// 2-core machine; this client batches them for a few µs each.
//
//   java -cp '<kafka jars>/*' BacklogProducer.java <brokers> <topic> <first> <end> <template file>
//
// Message i (first <= i < end) is template line i % lines, "key<TAB>value", with {N7} and {N8} replaced
// by i zero-padded to 7 and 8 digits and {UUID} by a random UUID: the TypeScript side writes the lines
// from its own event builder, so both produce the same messages. Progress on stderr every million.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class BacklogProducer {
  public static void main(String[] args) throws Exception {
    String brokers = args[0];
    String topic = args[1];
    long first = Long.parseLong(args[2]);
    long end = Long.parseLong(args[3]);
    List<String> lines = Files.readAllLines(Path.of(args[4]), StandardCharsets.UTF_8);
    String[] keys = new String[lines.size()];
    String[] values = new String[lines.size()];
    for (int k = 0; k < lines.size(); k++) {
      String line = lines.get(k);
      int tab = line.indexOf('\t');
      keys[k] = line.substring(0, tab);
      values[k] = line.substring(tab + 1);
    }
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    props.put(ProducerConfig.ACKS_CONFIG, "1");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "50");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(1 << 20));
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(64L << 20));
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    AtomicReference<Exception> failed = new AtomicReference<>();
    long began = System.nanoTime();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      for (long i = first; i < end && failed.get() == null; i++) {
        int k = (int) (i % lines.size());
        String n7 = String.format("%07d", i);
        String n8 = String.format("%08d", i);
        String key = keys[k].replace("{N7}", n7);
        String value =
            values[k].replace("{N7}", n7).replace("{N8}", n8).replace("{UUID}", UUID.randomUUID().toString());
        producer.send(
            new ProducerRecord<>(topic, key, value),
            (metadata, error) -> {
              if (error != null) failed.compareAndSet(null, error);
            });
        if ((i + 1) % 1_000_000 == 0) System.err.println("[bench:memory] produced " + (i + 1) + " events");
      }
      producer.flush();
    }
    if (failed.get() != null) throw failed.get();
    System.err.printf(
        "[bench:memory] java producer: %d events in %.0f s%n", end - first, (System.nanoTime() - began) / 1e9);
  }
}
