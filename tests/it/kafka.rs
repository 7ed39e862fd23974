//! The Kafka source against a real broker: tansu, started per test on a free loopback port.
//! Needs the `tansu` binary (`scripts/tansu.sh install`; `$TANSU_BIN`, PATH or ~/.cargo/bin).

mod connection;
mod exact;

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
