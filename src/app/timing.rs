//! How the cockpit feels, in the log: when the first full frame was drawn, and how long
//! keys waited for the frame that showed them (from the moment the input thread read them,
//! so time spent waiting for a busy loop counts). `benches/scale.sh` reads both.

use std::time::{Duration, Instant};

use ratatui::crossterm::event::{Event, KeyEventKind};

/// Log how long one phase of a start took, so a slow start says where its time went.
pub fn phase(what: &'static str, since: Instant) {
    let ms = since.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(ms = format!("{ms:.0}"), "start: {what}");
}

/// Log a whole snapshot build after the first: a pass over every lead, which a start, a
/// lens or a new period costs, and nothing else should.
pub fn whole_build(builds: u64, since: Instant) {
    if builds > 1 {
        let ms = since.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(ms = format!("{ms:.0}"), builds, "snapshot built whole");
    }
}

pub struct FrameTiming {
    started: Instant,
    /// The first frame with every source loaded has been logged.
    first_full: bool,
    drawn_any: bool,
    /// The oldest key not yet shown by a frame.
    waiting: Option<Instant>,
    latencies: Vec<Duration>,
}

impl FrameTiming {
    pub fn new(started: Instant) -> Self {
        FrameTiming {
            started,
            first_full: false,
            drawn_any: false,
            waiting: None,
            latencies: Vec::new(),
        }
    }

    pub fn input(&mut self, at: Instant, ev: &Event) {
        if let Event::Key(key) = ev
            && key.kind != KeyEventKind::Release
        {
            self.waiting.get_or_insert(at);
        }
    }

    /// Whether any frame has been drawn yet.
    pub fn drawn_any(&self) -> bool {
        self.drawn_any
    }

    /// A frame was drawn just now; `loaded`: every source's data is in, `leads` of them.
    pub fn drawn(&mut self, loaded: bool, leads: usize) {
        self.drawn_at(Instant::now(), loaded, leads);
    }

    fn drawn_at(&mut self, now: Instant, loaded: bool, leads: usize) {
        self.drawn_any = true;
        if let Some(at) = self.waiting.take() {
            self.latencies.push(now - at);
        }
        if loaded && !self.first_full {
            self.first_full = true;
            let ms = (now - self.started).as_secs_f64() * 1000.0;
            tracing::info!(leads, ms = format!("{ms:.0}"), "first full frame");
        }
    }

    /// Log the key-to-frame latencies (at quit).
    pub fn report(&mut self) {
        let Some(summary) = summary(&mut self.latencies) else {
            return;
        };
        tracing::info!(
            keys = summary.n,
            p50_ms = format!("{:.1}", summary.p50),
            p99_ms = format!("{:.1}", summary.p99),
            max_ms = format!("{:.1}", summary.max),
            "key to frame"
        );
    }
}

/// Percentiles of key-to-frame latencies, in ms.
#[derive(Debug, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

/// Nearest-rank percentiles of `xs` (sorted in place); `None` for no keys.
pub fn summary(xs: &mut [Duration]) -> Option<Summary> {
    if xs.is_empty() {
        return None;
    }
    xs.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let rank = |p: f64| xs[((p * xs.len() as f64).ceil() as usize).clamp(1, xs.len()) - 1];
    Some(Summary {
        n: xs.len(),
        p50: ms(rank(0.50)),
        p99: ms(rank(0.99)),
        max: ms(xs[xs.len() - 1]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut xs: Vec<Duration> = (1..=200).map(Duration::from_millis).collect();
        let s = summary(&mut xs).unwrap();
        assert_eq!((s.n, s.p50, s.p99, s.max), (200, 100.0, 198.0, 200.0));
        let mut one = vec![Duration::from_millis(7)];
        assert_eq!(summary(&mut one).unwrap().p99, 7.0);
        assert_eq!(summary(&mut []), None);
    }

    #[test]
    fn a_key_waits_from_when_it_was_read_until_a_frame_shows_it() {
        let start = Instant::now();
        let mut t = FrameTiming::new(start);
        let key = Event::Key(ratatui::crossterm::event::KeyEvent::from(
            ratatui::crossterm::event::KeyCode::Char('j'),
        ));
        let ms = Duration::from_millis;
        t.input(start, &key);
        t.input(start + ms(5), &key);
        t.drawn_at(start + ms(20), false, 0);
        // Two keys in one batch: one frame, timed from the first.
        assert_eq!(t.latencies, vec![ms(20)]);
        assert!(!t.first_full);
        t.drawn_at(start + ms(30), true, 10);
        assert_eq!(t.latencies, vec![ms(20)], "no key was waiting");
        assert!(t.first_full);
    }
}
