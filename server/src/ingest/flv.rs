//! FLV, the container the transcoder reads from its stdin: an RTMP publisher's audio and video messages are FLV tag
//! bodies already, so a tag is an 11-byte header, the body unchanged, and the tag's size after it (Adobe's "Video
//! File Format Specification", version 10, annex E).

/// The file header: "FLV", version 1, video present and audio when `audio` (a reader waits for a stream the header
/// promises), header length 9; then the first (zero) PreviousTagSize.
pub fn header(audio: bool) -> [u8; 13] {
    let flags = if audio { 5 } else { 1 };
    [b'F', b'L', b'V', 1, flags, 0, 0, 0, 9, 0, 0, 0, 0]
}

/// A tag's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagType {
    Audio = 8,
    Video = 9,
}

/// The largest body a tag's 24-bit size can say.
const MAX_BODY: usize = 0x00ff_ffff;

/// Appends one tag (`body` at `timestamp` ms) to `out`; a body too large for a tag is dropped (the chunk reader
/// refuses such messages long before).
pub fn write_tag(kind: TagType, timestamp: u32, body: &[u8], out: &mut Vec<u8>) {
    if body.len() > MAX_BODY {
        return;
    }
    let size = body.len() as u32;
    out.push(kind as u8);
    out.extend_from_slice(&size.to_be_bytes()[1..]);
    // The low 24 bits, then the high 8 (TimestampExtended).
    out.extend_from_slice(&timestamp.to_be_bytes()[1..]);
    out.push((timestamp >> 24) as u8);
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(body);
    out.extend_from_slice(&(size + 11).to_be_bytes());
}

/// What an FLV video tag body says of itself (its first bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoTag {
    pub keyframe: bool,
    /// An AVC decoder configuration (the sequence header) rather than a frame.
    pub sequence_header: bool,
    /// H.264 (codec id 7); anything else (Sorenson, VP6, Enhanced RTMP's HEVC or AV1) the ladder cannot read.
    pub avc: bool,
}

impl VideoTag {
    pub fn parse(body: &[u8]) -> Option<Self> {
        let first = *body.first()?;
        // Enhanced RTMP sets the high bit and carries a FourCC instead of a codec id.
        let enhanced = first & 0x80 != 0;
        let frame_type = (first >> 4) & 0x07;
        let avc = !enhanced && first & 0x0f == 7;
        Some(Self {
            keyframe: frame_type == 1,
            sequence_header: avc && body.get(1) == Some(&0),
            avc,
        })
    }
}

/// Whether an FLV audio tag body is AAC's decoder configuration (the sequence header).
pub fn is_aac_sequence_header(body: &[u8]) -> bool {
    body.first().is_some_and(|b| b >> 4 == 10) && body.get(1) == Some(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_header_body_and_size() {
        let mut out = Vec::new();
        write_tag(TagType::Video, 0x0102_0304, &[0x17, 0x01, 0xaa], &mut out);
        assert_eq!(
            out,
            [
                9, 0, 0, 3, 0x02, 0x03, 0x04, 0x01, 0, 0, 0, 0x17, 0x01, 0xaa, 0, 0, 0, 14
            ]
        );
    }

    #[test]
    fn video_and_audio_tags_say_what_they_are() {
        let key = VideoTag::parse(&[0x17, 0x01]).unwrap();
        assert!(key.keyframe && key.avc && !key.sequence_header);
        assert!(VideoTag::parse(&[0x17, 0x00]).unwrap().sequence_header);
        let inter = VideoTag::parse(&[0x27, 0x01]).unwrap();
        assert!(!inter.keyframe && inter.avc);
        assert!(
            !VideoTag::parse(&[0x92, 0x00]).unwrap().avc,
            "Enhanced RTMP (HEVC) is not AVC"
        );
        assert!(VideoTag::parse(&[]).is_none());
        assert!(is_aac_sequence_header(&[0xaf, 0x00]));
        assert!(!is_aac_sequence_header(&[0xaf, 0x01]));
        assert!(!is_aac_sequence_header(&[0x2f, 0x00]), "MP3 is not AAC");
    }
}
