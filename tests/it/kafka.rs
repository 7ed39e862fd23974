//! The Kafka source against a real broker: tansu, started per test on a free loopback port.
//! Needs the `tansu` binary (`scripts/tansu.sh install`; `$TANSU_BIN`, PATH or ~/.cargo/bin).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use slipstream::app::{Pipeline, build_source};
use slipstream::clock::ManualClock;
use slipstream::config;
use slipstream::source::StopSignal;

use crate::exact_windows::{CONFIG, check_report, generate};
use crate::helpers::{NOON, Rng, alb_line};

fn tansu_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("TANSU_BIN") {
        return p.into();
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let candidates = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("tansu"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    candidates
        .into_iter()
        .chain([home.join(".cargo/bin/tansu")])
        .find(|p| p.is_file())
        .expect("tansu is not installed: run scripts/tansu.sh install")
}

/// A tansu broker on 127.0.0.1; killed when dropped.
pub(crate) struct Broker {
    child: Option<Child>,
    pub(crate) port: u16,
    dir: tempfile::TempDir,
    persistent: bool,
}

impl Broker {
    /// Memory storage, or sqlite in a temporary directory when `persistent` (survives restarts).
    pub(crate) fn start(persistent: bool) -> Broker {
        let port = crate::cli::free_port();
        let mut b = Broker {
            child: None,
            port,
            dir: tempfile::tempdir().unwrap(),
            persistent,
        };
        b.restart();
        b
    }

    pub(crate) fn restart(&mut self) {
        let listener = format!("tcp://127.0.0.1:{}", self.port);
        let storage = if self.persistent {
            "sqlite://tansu.db"
        } else {
            "memory://tansu/"
        };
        let log = std::fs::File::create(self.dir.path().join("broker.log")).unwrap();
        let child = Command::new(tansu_bin())
            .current_dir(self.dir.path())
            .args([
                "broker",
                "--listener-url",
                &listener,
                "--advertised-listener-url",
                &listener,
                "--storage-engine",
                storage,
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start tansu");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tansu did not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends `sig` (`-STOP`, `-CONT`) to the broker process.
    pub(crate) fn signal(&self, sig: &str) {
        let pid = self.child.as_ref().expect("broker running").id();
        let status = Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {sig} {pid}");
    }

    pub(crate) fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub(crate) fn create_topic(&self, name: &str, partitions: i32) {
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", self.brokers())
            .create()
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let results = rt
            .block_on(admin.create_topics(
                &[NewTopic::new(name, partitions, TopicReplication::Fixed(1))],
                &AdminOptions::new(),
            ))
            .expect("create topic");
        for r in results {
            r.unwrap_or_else(|(t, e)| panic!("create topic {t}: {e}"));
        }
    }

    /// Produces `lines` round-robin over `partitions`, re-sending any message whose delivery
    /// failed (tansu under load may refuse a request), so the topic ends up holding every line.
    pub(crate) fn produce(&self, topic: &str, partitions: i32, lines: &[impl AsRef<[u8]>]) {
        produce_with(&self.producer(), topic, partitions, lines);
    }

    /// A producer to this broker for [`produce_with`], to keep across many small writes
    /// (one client rather than one per write).
    pub(crate) fn producer(&self) -> BaseProducer<Deliveries> {
        ClientConfig::new()
            .set("bootstrap.servers", self.brokers())
            .set("linger.ms", "5")
            // One record per batch: tansu 0.6 answers a fetch that starts inside a record
            // batch with the batch after it (the records in between are skipped) and, at the
            // end of the log, with an older batch again. A consumer resuming at a checkpointed
            // offset — what the crash tests do — would lose and double-count lines because of
            // the broker. With single-record batches every offset starts a batch.
            .set("batch.num.messages", "1")
            .set("message.max.bytes", "2000000")
            .create_with_context(Deliveries::default())
            .unwrap()
    }
}

/// Writes `lines` to `topic` through `producer`, line `i` to partition `i % partitions`,
/// and waits until every one is delivered (re-sending failed ones).
pub(crate) fn produce_with(
    producer: &BaseProducer<Deliveries>,
    topic: &str,
    partitions: i32,
    lines: &[impl AsRef<[u8]>],
) {
    let mut pending: Vec<usize> = (0..lines.len()).collect();
    for attempt in 0..10 {
        for &i in &pending {
            loop {
                let record = BaseRecord::with_opaque_to(topic, Box::new(i))
                    .partition(i as i32 % partitions)
                    .payload(lines[i].as_ref());
                match producer.send::<(), [u8]>(record) {
                    Ok(()) => break,
                    Err((e, _)) => {
                        assert!(format!("{e}").contains("Queue full"), "produce: {e}");
                        producer.poll(Duration::from_millis(10));
                    }
                }
            }
        }
        producer.flush(Duration::from_secs(60)).expect("flush");
        let failed = std::mem::take(&mut *producer.context().failed.lock().unwrap());
        if failed.is_empty() {
            return;
        }
        eprintln!(
            "produce attempt {attempt}: {} deliveries failed ({}); re-sending",
            failed.len(),
            producer.context().last_error.lock().unwrap()
        );
        pending = failed;
    }
    panic!("{} messages could not be delivered", pending.len());
}

/// Collects the messages whose delivery failed.
#[derive(Default)]
pub(crate) struct Deliveries {
    failed: std::sync::Mutex<Vec<usize>>,
    last_error: std::sync::Mutex<String>,
}

impl rdkafka::ClientContext for Deliveries {}

impl rdkafka::producer::ProducerContext for Deliveries {
    type DeliveryOpaque = Box<usize>;

    fn delivery(
        &self,
        result: &rdkafka::producer::DeliveryResult<'_>,
        opaque: Self::DeliveryOpaque,
    ) {
        if let Err((e, _)) = result {
            *self.last_error.lock().unwrap() = e.to_string();
            self.failed.lock().unwrap().push(*opaque);
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A pipeline consuming Kafka on its own thread, stopped and joined when dropped.
pub(crate) struct Consumer {
    pub(crate) pipeline: Arc<Pipeline>,
    stop: StopSignal,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl Consumer {
    pub(crate) fn start(yaml: &str, now_us: i64) -> Consumer {
        let config = config::parse(yaml, "kafka-test.yaml").unwrap_or_else(|e| panic!("{e}"));
        let pipeline = Pipeline::new(&config, Arc::new(ManualClock::new(now_us)));
        let source = build_source(&config.start, &pipeline);
        let mut sink = pipeline.sink();
        let stop = StopSignal::new();
        let thread_stop = stop.clone();
        let thread = std::thread::spawn(move || {
            source
                .run(&mut sink, &thread_stop)
                .map_err(|e| e.to_string())
        });
        Consumer {
            pipeline,
            stop,
            thread: Some(thread),
        }
    }

    /// Lines applied so far over every partition.
    pub(crate) fn lines(&self) -> u64 {
        self.pipeline
            .evaluate()
            .partitions
            .iter()
            .map(|p| p.stats.lines)
            .sum()
    }

    pub(crate) fn ready(&self) -> bool {
        self.pipeline
            .ready
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Stops the source and returns what its thread returned.
    pub(crate) fn finish(mut self) -> Result<(), String> {
        self.stop.stop();
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        self.stop.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Waits until `done()` or panics with `what` after `secs`.
pub(crate) fn wait_for(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub(crate) fn kafka_yaml(base: &str, brokers: &str, topic: &str, group: &str) -> String {
    base.replace(
        "source: {stdin: {}}",
        &format!("source: {{kafka: {{brokers: [\"{brokers}\"], topics: [{topic}], group_id: {group}, start_from: earliest}}}}"),
    )
}

#[test]
fn every_window_is_exact_over_a_multi_partition_topic() {
    let broker = Broker::start(false);
    broker.create_topic("edge", 4);
    let now = NOON + 250_000;
    let input = generate(now, 20_000, 7);
    broker.produce("edge", 4, &input.lines);
    let consumer = Consumer::start(&kafka_yaml(CONFIG, &broker.brokers(), "edge", "exact"), now);
    let n = input.lines.len() as u64;
    wait_for(120, "every line to be applied", || consumer.lines() == n);
    assert!(consumer.ready());
    let evaluation = consumer.pipeline.evaluate();
    assert_eq!(evaluation.partitions.len(), 4, "one shard per partition");
    let errors: u64 = evaluation
        .partitions
        .iter()
        .map(|p| p.stats.decode_errors_total())
        .sum();
    assert_eq!(errors, input.malformed);
    check_report(
        &serde_json::to_value(&evaluation.report).unwrap(),
        &input,
        now,
    );
    consumer.finish().unwrap();
}

/// Simple valid traffic in the two hours before `now`: (lines, good, bad) for availability.
fn traffic(now: i64, n: usize, seed: u64) -> (Vec<String>, u64, u64) {
    let mut rng = Rng(seed);
    let (mut good, mut bad) = (0, 0);
    let lines = (0..n)
        .map(|_| {
            let status = if rng.below(20) == 0 { 503 } else { 200 };
            if status >= 500 {
                bad += 1
            } else {
                good += 1
            }
            let t = now - 1 - rng.below(2 * 3_600_000_000) as i64;
            alb_line(t, "checkout.example.com", "/api", status, Some((0, 20, 0)))
        })
        .collect();
    (lines, good, bad)
}

fn lifetime(c: &Consumer) -> [u64; 2] {
    c.pipeline.evaluate().counts[0].lifetime
}

#[test]
fn two_instances_split_the_partitions_without_loss_or_double_counting() {
    let broker = Broker::start(false);
    broker.create_topic("shared", 6);
    let now = NOON;
    let (first, g1, b1) = traffic(now, 6_000, 11);
    let (second, g2, b2) = traffic(now, 6_000, 12);
    let yaml = kafka_yaml(CONFIG, &broker.brokers(), "shared", "pair");
    broker.produce("shared", 6, &first);
    let a = Consumer::start(&yaml, now);
    wait_for(120, "instance A to read the first half", || {
        a.lines() >= 3_000
    });
    let b = Consumer::start(&yaml, now);
    wait_for(120, "the rebalance to give instance B partitions", || {
        b.ready()
    });
    broker.produce("shared", 6, &second);
    let total = (first.len() + second.len()) as u64;
    wait_for(
        180,
        "both instances together to apply every line once",
        || a.lines() + b.lines() >= total,
    );
    // Give a wrongly re-read message time to show up before judging.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(a.lines() + b.lines(), total, "no message read twice");
    assert!(b.lines() > 0, "the second instance got partitions");
    let [ga, ba] = lifetime(&a);
    let [gb, bb] = lifetime(&b);
    assert_eq!((ga + gb, ba + bb), (g1 + g2, b1 + b2));
    assert!(
        a.pipeline
            .source_telemetry
            .rebalances
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 2
    );
}

#[test]
fn malformed_empty_and_oversized_messages_are_counted_and_skipped() {
    let broker = Broker::start(false);
    broker.create_topic("dirty", 2);
    let now = NOON;
    let (mut lines, good, bad) = traffic(now, 500, 3);
    lines.insert(10, String::new());
    lines.insert(20, "\u{1}\u{2} binary junk".into());
    lines.insert(30, "x".repeat(900_000));
    lines.insert(
        40,
        "{\"message\": \"a json envelope where none is configured\"}".into(),
    );
    broker.produce("dirty", 2, &lines);
    let consumer = Consumer::start(
        &kafka_yaml(CONFIG, &broker.brokers(), "dirty", "dirty"),
        now,
    );
    wait_for(120, "every message", || {
        consumer.lines() == lines.len() as u64
    });
    let e = consumer.pipeline.evaluate();
    let errors: u64 = e
        .partitions
        .iter()
        .map(|p| p.stats.decode_errors_total())
        .sum();
    assert_eq!(errors, 4);
    assert_eq!(e.counts[0].lifetime, [good, bad]);
}

#[test]
fn an_unknown_librdkafka_option_is_a_clear_error_at_start() {
    let yaml = kafka_yaml(CONFIG, "127.0.0.1:9", "t", "g").replace(
        "start_from: earliest}",
        "start_from: earliest, options: {no.such.option: x}}",
    );
    let consumer = Consumer::start(&yaml, NOON);
    let err = consumer.finish().unwrap_err();
    assert!(err.contains("no.such.option"), "{err}");
}

#[test]
fn unreachable_brokers_leave_a_clear_not_ready_state() {
    let port = crate::cli::free_port();
    let consumer = Consumer::start(
        &kafka_yaml(CONFIG, &format!("127.0.0.1:{port}"), "t", "g"),
        NOON,
    );
    wait_for(60, "the brokers-down state", || {
        consumer
            .pipeline
            .not_ready_reason
            .lock()
            .unwrap()
            .contains("broker is down")
    });
    assert!(!consumer.ready());
}

#[test]
fn a_broker_outage_is_survived_and_counts_stay_exact() {
    let mut broker = Broker::start(true);
    broker.create_topic("outage", 3);
    let now = NOON;
    let (first, g1, b1) = traffic(now, 3_000, 21);
    let (second, g2, b2) = traffic(now, 3_000, 22);
    broker.produce("outage", 3, &first);
    let consumer = Consumer::start(
        &kafka_yaml(CONFIG, &broker.brokers(), "outage", "outage"),
        now,
    );
    wait_for(120, "the first half", || {
        consumer.lines() == first.len() as u64
    });
    assert!(consumer.ready());
    broker.stop();
    let stopped = Instant::now();
    wait_for(60, "readiness to go false", || !consumer.ready());
    std::thread::sleep(Duration::from_secs(20).saturating_sub(stopped.elapsed()));
    broker.restart();
    broker.produce("outage", 3, &second);
    let total = (first.len() + second.len()) as u64;
    wait_for(180, "the second half after the restart", || {
        consumer.lines() >= total
    });
    wait_for(60, "readiness to come back", || consumer.ready());
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(consumer.lines(), total);
    assert_eq!(lifetime(&consumer), [g1 + g2, b1 + b2]);
}

#[test]
fn tls_and_sasl_options_are_accepted() {
    let port = crate::cli::free_port();
    let yaml = kafka_yaml(CONFIG, &format!("127.0.0.1:{port}"), "t", "g").replace(
        "start_from: earliest}",
        "start_from: earliest, options: {security.protocol: SASL_SSL, sasl.mechanism: SCRAM-SHA-512, sasl.username: u, sasl.password: p}}",
    );
    let consumer = Consumer::start(&yaml, NOON);
    std::thread::sleep(Duration::from_secs(1));
    assert!(!consumer.ready());
    consumer
        .finish()
        .expect("a TLS + SCRAM client starts (and waits for its brokers)");
}
