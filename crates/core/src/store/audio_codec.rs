//! How audio is stored: 16 kHz mono 16-bit PCM, each chunk a complete FLAC stream (so every
//! chunk decodes on its own, and a chunk cut short by a crash is simply not there).

use super::StoreError;

/// The rate audio is stored at, which is also the rate Whisper listens at.
pub const SAMPLE_RATE: u32 = 16_000;

/// Compresses mono 16-bit samples into one FLAC stream (at least 16 samples: FLAC's smallest block).
pub fn encode_flac(samples: &[i16], sample_rate: u32) -> Result<Vec<u8>, StoreError> {
    if samples.len() < 16 {
        return Err(StoreError::Audio(format!("{} samples are too few for a FLAC stream (16 at least)", samples.len())));
    }
    use flacenc::component::BitRepr;
    let wide: Vec<i32> = samples.iter().map(|&s| i32::from(s)).collect();
    use flacenc::error::Verify;
    let config = flacenc::config::Encoder::default().into_verified().map_err(|(_, e)| StoreError::Audio(format!("FLAC encoder settings: {e:?}")))?;
    let source = flacenc::source::MemSource::from_samples(&wide, 1, 16, sample_rate as usize);
    let stream = flacenc::encode_with_fixed_block_size(&config, source, config.block_size).map_err(|e| StoreError::Audio(format!("FLAC encoding failed: {e:?}")))?;
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream.write(&mut sink).map_err(|e| StoreError::Audio(format!("FLAC encoding failed: {e:?}")))?;
    Ok(sink.into_inner())
}

/// Decodes a FLAC stream written by [`encode_flac`] back to mono 16-bit samples.
pub fn decode_flac(flac: &[u8]) -> Result<Vec<i16>, StoreError> {
    let mut reader = claxon::FlacReader::new(std::io::Cursor::new(flac)).map_err(|e| StoreError::Audio(format!("not a FLAC chunk: {e}")))?;
    let info = reader.streaminfo();
    if info.channels != 1 || info.bits_per_sample != 16 {
        return Err(StoreError::Audio(format!("unexpected FLAC chunk: {} channels, {} bits", info.channels, info.bits_per_sample)));
    }
    reader.samples().map(|s| s.map(|v| v as i16).map_err(|e| StoreError::Audio(format!("damaged FLAC chunk: {e}")))).collect()
}

/// A WAV file (16-bit mono) for players that do not read FLAC, such as the review view.
pub fn wav(samples: &[i16], sample_rate: u32) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flac_round_trips_exactly_and_compresses() {
        let samples: Vec<i16> = (0..8000).map(|i| ((i as f32 * 0.05).sin() * 8000.0) as i16).collect();
        let flac = encode_flac(&samples, SAMPLE_RATE).unwrap();
        assert!(flac.len() < samples.len() * 2 / 2, "{} bytes", flac.len());
        assert_eq!(decode_flac(&flac).unwrap(), samples);
    }

    #[test]
    fn damaged_chunks_are_an_error_not_garbage() {
        let flac = encode_flac(&[100i16; 4000], SAMPLE_RATE).unwrap();
        assert!(decode_flac(&flac[..10]).is_err());
        assert!(decode_flac(b"not flac at all").is_err());
    }

    #[test]
    fn wav_header_describes_the_samples() {
        let w = wav(&[1, -1, 3], 16_000);
        assert_eq!(&w[..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(w[24..28].try_into().unwrap()), 16_000);
        assert_eq!(u32::from_le_bytes(w[40..44].try_into().unwrap()), 6);
        assert_eq!(w.len(), 50);
    }
}
