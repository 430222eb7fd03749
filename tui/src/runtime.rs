//! The runtime: the one loop that moves a capture from its source to a front
//! end. `nlscope record` (a writer), `nlscope agent` (its clients) and the
//! dashboard (its actions) are each a [`Consumer`] of the same [`pump`], so
//! starting a source, stopping it and learning how it ended are written once.
//!
//! Data flows one way: a source ([`crate::capture`]) produces events on its
//! own thread; the pump hands them, in order, to the consumer on the calling
//! thread; the consumer never talks back to the source except through the
//! [`StopSignal`] (a count reached, the user quit). After a stop the source
//! drains what it already captured and ends, and the pump hands that over
//! too: nothing captured is dropped on the way out.

use crate::capture::{self, CaptureSource, CaptureSummary, IndexedBatch, SourceEvent, StopSignal};
use crate::event::CapturedMessage;
use crate::netlink::nlctrl::Family;
use crate::ports::PortTable;

/// Events a source may queue before it waits for the consumer.
const CHANNEL_CAPACITY: usize = 64;

/// What a consumer wants after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Stop the capture: the source drains and ends; the remaining events
    /// still reach the consumer.
    Stop,
}

/// A front end's side of the pump: one method per kind of event, called in
/// the order the source sent them.
pub trait Consumer {
    /// A batch of messages, oldest first.
    fn messages(&mut self, batch: Vec<CapturedMessage>) -> Flow;
    /// A batch of a file's messages with where their records are; only
    /// the messages, unless the consumer keeps the places.
    fn indexed(&mut self, batch: IndexedBatch) -> Flow {
        self.messages(batch.messages.into_iter().map(|(m, _)| m).collect())
    }
    /// The source's running total of events it lost.
    fn lost(&mut self, _total: u64) -> Flow {
        Flow::Continue
    }
    /// The socket table of the machine the messages come from (remote sources).
    #[allow(clippy::boxed_local)] // the table arrives boxed from the source
    fn ports(&mut self, _table: Box<PortTable>) -> Flow {
        Flow::Continue
    }
    /// Generic netlink families of the machine the messages come from,
    /// before the first message that uses them.
    fn families(&mut self, _families: Vec<Family>) -> Flow {
        Flow::Continue
    }
}

/// How a source ended.
#[derive(Debug)]
pub enum SourceOutcome {
    /// It ran out (a file) or was stopped, after sending everything.
    Finished(CaptureSummary),
    /// It failed (attach refused, file damaged) after sending what it had.
    Failed(anyhow::Error),
    /// Its thread panicked.
    Panicked,
}

impl SourceOutcome {
    /// The summary, or the failure as an error (for the headless commands).
    pub fn into_result(self) -> anyhow::Result<CaptureSummary> {
        match self {
            SourceOutcome::Finished(summary) => Ok(summary),
            SourceOutcome::Failed(error) => Err(error),
            SourceOutcome::Panicked => Err(anyhow::anyhow!("the capture thread panicked")),
        }
    }
}

/// Runs `source` on its own thread and hands every event it sends to
/// `consumer` on this thread, until the source ends (by itself, or after
/// `stop` was set, by the consumer or by anyone holding the signal). Blocks:
/// call it from a thread of its own, not from async code.
pub fn pump(
    source: Box<dyn CaptureSource>,
    consumer: &mut impl Consumer,
    stop: StopSignal,
) -> SourceOutcome {
    let (mut events, handle) = capture::spawn(source, stop.clone(), CHANNEL_CAPACITY);
    while let Some(event) = events.blocking_recv() {
        let flow = match event {
            SourceEvent::Messages(batch) => consumer.messages(batch),
            SourceEvent::Indexed(batch) => consumer.indexed(batch),
            SourceEvent::Lost { total } => consumer.lost(total),
            SourceEvent::Ports(table) => consumer.ports(table),
            SourceEvent::Families(families) => consumer.families(families),
        };
        if flow == Flow::Stop {
            stop.stop();
        }
    }
    match handle.join() {
        Ok(Ok(summary)) => SourceOutcome::Finished(summary),
        Ok(Err(error)) => SourceOutcome::Failed(error),
        Err(_) => SourceOutcome::Panicked,
    }
}

/// Sets `stop` on SIGINT or SIGTERM, or once `after` has passed, whichever
/// comes first; the handlers are in place when this returns, so a Ctrl-C
/// from then on ends the capture cleanly instead of killing the process.
/// The watcher thread ends with the capture (once `stop` is set).
pub fn stop_on_signals(
    stop: StopSignal,
    after: Option<std::time::Duration>,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut interrupt = runtime.block_on(async { signal(SignalKind::interrupt()) })?;
    let mut terminate = runtime.block_on(async { signal(SignalKind::terminate()) })?;
    let handle = std::thread::Builder::new()
        .name("nlscope-signals".into())
        .spawn(move || {
            runtime.block_on(async {
                let deadline = async {
                    match after {
                        Some(after) => tokio::time::sleep(after).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::pin!(deadline);
                // The capture may also end by itself: look at the flag now
                // and then, so the thread does not outlive it.
                let mut check = tokio::time::interval(std::time::Duration::from_millis(100));
                loop {
                    tokio::select! {
                        _ = interrupt.recv() => break,
                        _ = terminate.recv() => break,
                        _ = &mut deadline => break,
                        _ = check.tick() => if stop.is_stopped() { return },
                    }
                }
                stop.stop();
            });
        })?;
    Ok(handle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{EventSink, SourceInfo};

    /// Sends `batches` one by one, then ends (with an error if `fail`);
    /// with `wait_for_stop`, waits after each batch until it is stopped.
    struct Scripted {
        batches: Vec<Vec<CapturedMessage>>,
        fail: bool,
        wait_for_stop: bool,
    }

    impl CaptureSource for Scripted {
        fn info(&self) -> SourceInfo {
            SourceInfo {
                kind: "test",
                detail: String::new(),
            }
        }
        fn run(
            self: Box<Self>,
            sink: EventSink,
            stop: StopSignal,
        ) -> anyhow::Result<CaptureSummary> {
            let mut sent = 0;
            for batch in self.batches {
                sent += batch.len() as u64;
                if sink.blocking_send(SourceEvent::Messages(batch)).is_err() {
                    break;
                }
                let _ = sink.blocking_send(SourceEvent::Lost { total: sent });
                let waiting = std::time::Instant::now();
                while self.wait_for_stop
                    && !stop.is_stopped()
                    && waiting.elapsed() < std::time::Duration::from_secs(10)
                {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                if stop.is_stopped() {
                    break;
                }
            }
            if self.fail {
                anyhow::bail!("the source failed after {sent} messages");
            }
            Ok(CaptureSummary {
                messages: sent,
                lost: 0,
            })
        }
    }

    #[derive(Default)]
    struct Collect {
        seen: Vec<u32>,
        lost: Vec<u64>,
        stop_after: Option<usize>,
    }

    impl Consumer for Collect {
        fn messages(&mut self, batch: Vec<CapturedMessage>) -> Flow {
            self.seen.extend(batch.iter().map(|m| m.len));
            match self.stop_after {
                Some(n) if self.seen.len() >= n => Flow::Stop,
                _ => Flow::Continue,
            }
        }
        fn lost(&mut self, total: u64) -> Flow {
            self.lost.push(total);
            Flow::Continue
        }
    }

    fn batch(lens: &[u32]) -> Vec<CapturedMessage> {
        lens.iter()
            .map(|&len| CapturedMessage {
                len,
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn every_event_reaches_the_consumer_in_order_and_the_summary_comes_back() {
        let source = Scripted {
            batches: vec![batch(&[1, 2]), batch(&[3])],
            fail: false,
            wait_for_stop: false,
        };
        let mut consumer = Collect::default();
        let outcome = pump(Box::new(source), &mut consumer, StopSignal::new());
        assert_eq!(consumer.seen, [1, 2, 3]);
        assert_eq!(consumer.lost, [2, 3]);
        assert_eq!(outcome.into_result().unwrap().messages, 3);
    }

    #[test]
    fn a_consumer_that_stops_the_capture_still_gets_what_was_sent() {
        let source = Scripted {
            batches: vec![batch(&[1]), batch(&[2]), batch(&[3])],
            fail: false,
            wait_for_stop: true,
        };
        let mut consumer = Collect {
            stop_after: Some(1),
            ..Default::default()
        };
        let stop = StopSignal::new();
        let outcome = pump(Box::new(source), &mut consumer, stop.clone());
        assert!(stop.is_stopped());
        // The source saw the stop after its first batch, and ended.
        assert_eq!(consumer.seen, [1]);
        assert!(matches!(outcome, SourceOutcome::Finished(_)));
    }

    #[test]
    fn a_failing_source_reports_its_error_after_its_messages() {
        let source = Scripted {
            batches: vec![batch(&[7])],
            fail: true,
            wait_for_stop: false,
        };
        let mut consumer = Collect::default();
        let outcome = pump(Box::new(source), &mut consumer, StopSignal::new());
        assert_eq!(consumer.seen, [7]);
        let error = outcome.into_result().unwrap_err().to_string();
        assert!(error.contains("failed after 1 messages"), "{error}");
    }
}
