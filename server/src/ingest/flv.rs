//! FLV, the container the transcoder reads from its stdin: an RTMP publisher's audio and video messages are FLV tag
//! bodies already, so a tag is an 11-byte header, the body unchanged, and the tag's size after it (Adobe's "Video
//! File Format Specification", version 10, annex E). Read back too: an SRT publisher's MPEG-TS reaches the ingest as
//! FLV, remuxed by ffmpeg.

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

/// The RFC 6381 codecs of an AVC sequence header's picture (`avc1.` and its profile, constraints and level, from its
/// decoder configuration record), if `body` is one.
pub fn avc_codecs(body: &[u8]) -> Option<String> {
    let tag = VideoTag::parse(body)?;
    if !tag.sequence_header {
        return None;
    }
    // The tag's 5 bytes (frame type and codec, packet type, composition time), then the record: version 1, profile,
    // its compatibility flags, level.
    match body.get(5..9)? {
        [1, profile, constraints, level] => Some(format!("avc1.{profile:02x}{constraints:02x}{level:02x}")),
        _ => None,
    }
}

/// Whether an FLV audio tag body is AAC's decoder configuration (the sequence header).
pub fn is_aac_sequence_header(body: &[u8]) -> bool {
    body.first().is_some_and(|b| b >> 4 == 10) && body.get(1) == Some(&0)
}

/// One tag read from an FLV stream: its type (8 audio, 9 video, 18 script data), timestamp (ms) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub kind: u8,
    pub timestamp: u32,
    pub body: Vec<u8>,
}

/// Why an FLV stream cannot be read on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlvError {
    #[error("not an FLV stream")]
    NotFlv,
    #[error("an encrypted or filtered FLV tag")]
    Filtered,
}

/// Reads the tags of an FLV stream as its bytes come (a remuxer's output, in pieces of any size): the file header
/// and each tag's trailing size are skipped.
#[derive(Debug, Default)]
pub struct Reader {
    pending: Vec<u8>,
    /// The file header has been read.
    started: bool,
}

impl Reader {
    /// The tags completed by `bytes`.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Tag>, FlvError> {
        self.pending.extend_from_slice(bytes);
        let mut at = 0;
        if !self.started {
            if self.pending.len() < 9 {
                return Ok(Vec::new());
            }
            if &self.pending[..3] != b"FLV" {
                return Err(FlvError::NotFlv);
            }
            let offset = u32::from_be_bytes([self.pending[5], self.pending[6], self.pending[7], self.pending[8]]);
            // The header, then PreviousTagSize0.
            at = offset as usize + 4;
            if self.pending.len() < at {
                return Ok(Vec::new());
            }
            self.started = true;
        }
        let mut tags = Vec::new();
        while let Some(header) = self.pending.get(at..at + 11) {
            if header[0] & 0x20 != 0 {
                return Err(FlvError::Filtered);
            }
            let size = u32::from_be_bytes([0, header[1], header[2], header[3]]) as usize;
            let timestamp = u32::from_be_bytes([header[7], header[4], header[5], header[6]]);
            let end = at + 11 + size + 4;
            let Some(body) = self
                .pending
                .get(at + 11..at + 11 + size)
                .filter(|_| self.pending.len() >= end)
            else {
                break;
            };
            tags.push(Tag {
                kind: header[0] & 0x1f,
                timestamp,
                body: body.to_vec(),
            });
            at = end;
        }
        self.pending.drain(..at);
        Ok(tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_is_read_back_in_pieces_of_any_size() {
        let mut stream = header(true).to_vec();
        write_tag(TagType::Video, 0x0102_0304, &[0x17, 0x00, 0x01], &mut stream);
        write_tag(TagType::Audio, 40, &[0xaf, 0x01, 0x21, 0x10], &mut stream);
        let expected = [
            Tag {
                kind: 9,
                timestamp: 0x0102_0304,
                body: vec![0x17, 0x00, 0x01],
            },
            Tag {
                kind: 8,
                timestamp: 40,
                body: vec![0xaf, 0x01, 0x21, 0x10],
            },
        ];
        for piece in [1, 2, 5, 13, 100] {
            let mut reader = Reader::default();
            let tags: Vec<Tag> = stream
                .chunks(piece)
                .flat_map(|chunk| reader.push(chunk).unwrap())
                .collect();
            assert_eq!(tags, expected, "in pieces of {piece}");
            assert!(reader.pending.is_empty());
        }
        assert_eq!(Reader::default().push(b"GIF89a\0\0\0"), Err(FlvError::NotFlv));
        let mut filtered = header(true).to_vec();
        write_tag(TagType::Audio, 0, &[0xaf], &mut filtered);
        filtered[13] |= 0x20;
        assert_eq!(Reader::default().push(&filtered), Err(FlvError::Filtered));
    }

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
    fn an_avc_sequence_header_says_its_codecs() {
        let header = [0x17, 0x00, 0, 0, 0, 0x01, 0x42, 0xc0, 0x1e, 0xff, 0xe1];
        assert_eq!(avc_codecs(&header).as_deref(), Some("avc1.42c01e"));
        assert_eq!(
            avc_codecs(&[0x17, 0x01, 0, 0, 0, 0x01, 0x42, 0xc0, 0x1e]),
            None,
            "a frame"
        );
        assert_eq!(
            avc_codecs(&[0x17, 0x00, 0, 0, 0, 0x02, 0x42, 0xc0, 0x1e]),
            None,
            "not version 1"
        );
        assert_eq!(avc_codecs(&[0x17, 0x00, 0]), None);
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
