// Command sarama_suite drives Go's sarama client (Debian's golang-github-shopify-sarama-dev)
// against a running `ridestream broker serve`.
//
// Usage: sarama_suite BOOTSTRAP
//
// A synchronous producer (acks=all) stores 2000 keyed records in a 4-partition topic; a
// consumer group of two members reads them (the second joins once the first has read some,
// a rebalance), marking each record after it is counted (sarama commits what is marked every
// 100 ms and when a member's session ends). Each record must be
// counted once: a record never read, or read by two members, fails. Prints
// "2000 records, each read once; members a, b" and exits 0, or prints FAILED: ... and exits 1.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

const (
	topic   = "sarama-rides"
	group   = "sarama-group"
	records = 2000
)

func fail(format string, arguments ...interface{}) {
	fmt.Printf("FAILED: "+format+"\n", arguments...)
	os.Exit(1)
}

func config(client string) *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V2_1_0_0
	c.ClientID = client
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Return.Successes = true
	c.Producer.Partitioner = sarama.NewHashPartitioner
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Group.Heartbeat.Interval = 300 * time.Millisecond
	c.Consumer.Offsets.CommitInterval = 100 * time.Millisecond
	return c
}

// reader counts the records of its claims, each under a lock shared by the members.
type reader struct {
	name  string
	mu    *sync.Mutex
	seen  map[string]string
	count int
	limit int
	done  chan struct{}
	// all is closed, once, when every record has been read, by whichever member read the last.
	all     chan struct{}
	allOnce *sync.Once
}

func (r *reader) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (r *reader) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (r *reader) ConsumeClaim(session sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for message := range claim.Messages() {
		r.mu.Lock()
		key := string(message.Key)
		if other, read := r.seen[key]; read {
			r.mu.Unlock()
			fail("%s read twice (%s and %s)", key, other, r.name)
		}
		r.seen[key] = r.name
		r.count++
		total, mine := len(r.seen), r.count
		r.mu.Unlock()
		session.MarkMessage(message, "")
		time.Sleep(2 * time.Millisecond) // a paced reader, so that the rebalance happens mid-stream
		if total == records {
			r.allOnce.Do(func() { close(r.all) })
			return nil
		}
		if r.limit > 0 && mine >= r.limit {
			select {
			case <-r.done:
			default:
				close(r.done)
			}
			return nil
		}
	}
	return nil
}

func consume(bootstrap string, member *reader, started chan<- struct{}) {
	consumerGroup, err := sarama.NewConsumerGroup([]string{bootstrap}, group, config("sarama-"+member.name))
	if err != nil {
		fail("consumer group %s: %v", member.name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-member.done:
		case <-member.all:
		}
		cancel()
	}()
	close(started)
	for ctx.Err() == nil {
		if err := consumerGroup.Consume(ctx, []string{topic}, member); err != nil && ctx.Err() == nil {
			fail("consume %s: %v", member.name, err)
		}
	}
	if err := consumerGroup.Close(); err != nil {
		fail("close %s: %v", member.name, err)
	}
}

func main() {
	bootstrap := os.Args[1]
	admin, err := sarama.NewClusterAdmin([]string{bootstrap}, config("sarama-admin"))
	if err != nil {
		fail("admin: %v", err)
	}
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 4, ReplicationFactor: 1}, false); err != nil {
		fail("create topic: %v", err)
	}
	admin.Close()

	producer, err := sarama.NewSyncProducer([]string{bootstrap}, config("sarama-producer"))
	if err != nil {
		fail("producer: %v", err)
	}
	for index := 0; index < records; index++ {
		message := &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprintf("key-%d", index)), Value: sarama.StringEncoder(fmt.Sprintf("ride-%d", index))}
		if _, _, err := producer.SendMessage(message); err != nil {
			fail("send %d: %v", index, err)
		}
	}
	producer.Close()

	var mu sync.Mutex
	seen := map[string]string{}
	all, once := make(chan struct{}), &sync.Once{}
	a := &reader{name: "a", mu: &mu, seen: seen, done: make(chan struct{}), all: all, allOnce: once}
	b := &reader{name: "b", mu: &mu, seen: seen, limit: 400, done: make(chan struct{}), all: all, allOnce: once}
	var wait sync.WaitGroup
	wait.Add(2)
	aStarted, bStarted := make(chan struct{}), make(chan struct{})
	go func() { defer wait.Done(); consume(bootstrap, a, aStarted) }()
	<-aStarted
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		read := len(seen)
		mu.Unlock()
		if read >= 300 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	go func() { defer wait.Done(); consume(bootstrap, b, bStarted) }()
	<-bStarted
	finished := make(chan struct{})
	go func() { wait.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(120 * time.Second):
		mu.Lock()
		fail("%d of %d records read in 120 s (a %d, b %d)", len(seen), records, a.count, b.count)
	}
	if len(seen) != records || a.count == 0 || b.count == 0 {
		fail("%d of %d records read (a %d, b %d)", len(seen), records, a.count, b.count)
	}
	fmt.Printf("%d records, each read once; members a, b\n", records)
}
