//! placeholder until the demo source lands
/// placeholder
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    /// alb
    Alb,
    /// nginx
    Nginx,
}
/// placeholder
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSpec {
    /// rate
    pub rate_per_second: u32,
    /// history
    pub history_us: i64,
    /// seed
    pub seed: u64,
    /// format
    pub format: LineFormat,
}
impl Default for DemoSpec {
    fn default() -> Self {
        Self {
            rate_per_second: 200,
            history_us: 3_600_000_000,
            seed: 42,
            format: LineFormat::Alb,
        }
    }
}
/// placeholder
#[derive(Debug)]
#[allow(dead_code)]
pub struct DemoSource(DemoSpec);
impl DemoSource {
    /// placeholder
    pub fn new(spec: DemoSpec, _clock: std::sync::Arc<dyn crate::clock::Clock>) -> Self {
        Self(spec)
    }
}
impl super::Source for DemoSource {
    fn run(
        self: Box<Self>,
        _sink: &mut dyn super::Sink,
        _stop: &super::StopSignal,
    ) -> Result<(), super::SourceError> {
        Ok(())
    }
}
