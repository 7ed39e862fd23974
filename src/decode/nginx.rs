//! placeholder until the decoder lands
use super::{DecodeError, Decoder, Event};
/// placeholder
#[derive(Debug, Clone, Copy, Default)]
pub struct NginxDecoder;
impl Decoder for NginxDecoder {
    fn decode<'a>(&self, _line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        Err(DecodeError::Empty)
    }
}
