// librdkafka's C API (Debian: librdkafka-dev), used only when the KafkaCluster trait is on.
#include <librdkafka/rdkafka.h>
