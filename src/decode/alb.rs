//! placeholder until the decoder lands
use super::{DecodeError, Decoder, Event};
/// placeholder
#[derive(Debug, Clone, Copy, Default)]
pub struct AlbDecoder;
impl Decoder for AlbDecoder {
    fn decode<'a>(&self, _line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        Err(DecodeError::Empty)
    }
}
