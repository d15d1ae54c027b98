/*
 * A Kafka cluster that misbehaves, for the fault campaign's cluster-mode kind: librdkafka's
 * mock cluster (rdkafka_mock.h) with three brokers on loopback and the run's topic, then, from
 * a seed, one fault every 0.5-2 s until standard input closes:
 *
 *   - a partition's leader moved to another broker;
 *   - a broker taken down, brought back one to four faults later;
 *   - the group coordinator moved to another broker;
 *   - one to three retriable errors pushed for the next Produce, Fetch, OffsetCommit,
 *     Heartbeat or JoinGroup requests (not leader, timed out, coordinator loading or moved).
 *
 * Usage: mock_cluster SEED TOPIC PARTITIONS
 * Prints "bootstrap HOST:PORT,..." first, then one line per fault; exits 0 when stdin closes.
 * Build: cc -O1 -o mock_cluster mock_cluster.c -lrdkafka
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define BROKERS 3

/* SplitMix64: the same faults for the same seed, whatever the C library's rand(). */
static unsigned long long state;
static unsigned next_random(unsigned bound) {
    unsigned long long z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (unsigned)((z ^ (z >> 31)) % bound);
}

/* Waits up to `ms` for standard input; returns 0 once it is closed. */
static int wait_or_closed(int ms) {
    struct pollfd input = {.fd = 0, .events = POLLIN};
    if (poll(&input, 1, ms) <= 0) return 1;
    char buffer[64];
    return read(0, buffer, sizeof buffer) > 0;
}

static void push_errors(rd_kafka_mock_cluster_t *cluster) {
    static const struct { int16_t api; const char *name; rd_kafka_resp_err_t errors[2]; } kinds[] = {
        {0 /* Produce */, "Produce", {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT}},
        {1 /* Fetch */, "Fetch", {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT}},
        {8 /* OffsetCommit */, "OffsetCommit", {RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_NOT_COORDINATOR}},
        {12 /* Heartbeat */, "Heartbeat", {RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_NOT_COORDINATOR}},
        {11 /* JoinGroup */, "JoinGroup", {RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE}},
    };
    unsigned kind = next_random(sizeof kinds / sizeof kinds[0]);
    unsigned count = 1 + next_random(3);
    rd_kafka_resp_err_t errors[3];
    for (unsigned i = 0; i < count; i++) errors[i] = kinds[kind].errors[next_random(2)];
    rd_kafka_mock_push_request_errors_array(cluster, kinds[kind].api, count, errors);
    printf("fault: %u errors for the next %s requests (%s)\n", count, kinds[kind].name, rd_kafka_err2name(errors[0]));
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s SEED TOPIC PARTITIONS\n", argv[0]);
        return 2;
    }
    state = strtoull(argv[1], NULL, 10);
    const char *topic = argv[2];
    int partitions = atoi(argv[3]);
    char reason[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", reason, sizeof reason);
    rd_kafka_t *handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
    if (!handle) {
        fprintf(stderr, "cannot create the librdkafka handle: %s\n", reason);
        return 1;
    }
    rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(handle, BROKERS);
    if (!cluster || rd_kafka_mock_topic_create(cluster, topic, partitions, BROKERS)) {
        fprintf(stderr, "cannot create the mock cluster or its topic\n");
        return 1;
    }
    printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
    fflush(stdout);

    int down = 0, down_for = 0;  /* the broker that is down (0: none) and for how many more faults */
    while (wait_or_closed(500 + (int)next_random(1500))) {
        if (down && --down_for <= 0) {
            rd_kafka_mock_broker_set_up(cluster, down);
            printf("fault: broker %d is back\n", down);
            down = 0;
        }
        switch (next_random(4)) {
        case 0: {
            int partition = (int)next_random((unsigned)partitions), leader = 1 + (int)next_random(BROKERS);
            rd_kafka_mock_partition_set_leader(cluster, topic, partition, leader);
            printf("fault: partition %d led by broker %d\n", partition, leader);
            break;
        }
        case 1:
            if (!down) {
                down = 1 + (int)next_random(BROKERS);
                down_for = 1 + (int)next_random(4);
                rd_kafka_mock_broker_set_down(cluster, down);
                printf("fault: broker %d down\n", down);
            }
            break;
        case 2: {
            int coordinator = 1 + (int)next_random(BROKERS);
            static const char *groups[] = {"fare", "analytics", "support"};
            const char *group = groups[next_random(3)];
            rd_kafka_mock_coordinator_set(cluster, "group", group, coordinator);
            printf("fault: group %s coordinated by broker %d\n", group, coordinator);
            break;
        }
        default:
            push_errors(cluster);
        }
        fflush(stdout);
    }
    if (down) rd_kafka_mock_broker_set_up(cluster, down);
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(handle);
    return 0;
}
