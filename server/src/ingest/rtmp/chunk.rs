//! RTMP's chunk stream (Adobe's RTMP specification 1.0, section 5.3): messages cut into chunks, each chunk stream's
//! headers compressed against its previous one. The reader keeps each chunk stream's state and partial message on
//! its own, so chunks of several streams may interleave; it bounds what it holds (message size, chunk streams,
//! bytes waiting to complete a message) and reports anything else as an error, never a panic.

use std::collections::HashMap;
use std::fmt;

/// The largest message a publisher may send: a 4K keyframe is a few MB.
pub const MAX_MESSAGE: usize = 8 * 1024 * 1024;
/// Chunk streams a connection may have open at once (a publisher uses four or five).
const MAX_CHUNK_STREAMS: usize = 64;
/// Bytes held in partial messages over all chunk streams.
const MAX_PENDING: usize = 16 * 1024 * 1024;
/// The chunk size before either side sets one.
pub const DEFAULT_CHUNK_SIZE: usize = 128;
/// A timestamp field this large says the timestamp follows in four extra bytes.
const EXTENDED: u32 = 0x00ff_ffff;

/// A whole message, as its chunks carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub chunk_stream: u32,
    /// Milliseconds, the publisher's clock.
    pub timestamp: u32,
    pub type_id: u8,
    pub stream_id: u32,
    pub payload: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkError {
    /// A chunk of a stream whose first chunk never came (its header refers to nothing).
    NoPreviousHeader(u32),
    MessageTooLarge(usize),
    TooManyChunkStreams,
    TooMuchPending,
    /// A chunk size of 0 or past the largest message.
    BadChunkSize(u32),
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::NoPreviousHeader(id) => write!(f, "chunk stream {id} continues a header it never sent"),
            ChunkError::MessageTooLarge(len) => write!(f, "a message of {len} bytes is over the {MAX_MESSAGE} limit"),
            ChunkError::TooManyChunkStreams => write!(f, "more than {MAX_CHUNK_STREAMS} chunk streams"),
            ChunkError::TooMuchPending => write!(f, "more than {MAX_PENDING} bytes in unfinished messages"),
            ChunkError::BadChunkSize(size) => write!(f, "chunk size {size} is out of range"),
        }
    }
}

/// What a chunk stream remembers between chunks.
#[derive(Debug, Default)]
struct ChunkStream {
    timestamp: u32,
    /// What a type-3 chunk starting a new message adds to the timestamp.
    delta: u32,
    length: usize,
    type_id: u8,
    stream_id: u32,
    /// The last header's timestamp field was [`EXTENDED`]: type-3 chunks carry the four bytes too.
    extended: bool,
    /// The message being assembled (empty between messages).
    payload: Vec<u8>,
}

/// Reads messages out of the bytes a peer sends.
#[derive(Debug)]
pub struct ChunkReader {
    chunk_size: usize,
    streams: HashMap<u32, ChunkStream>,
    input: Vec<u8>,
    pending: usize,
}

impl Default for ChunkReader {
    fn default() -> Self {
        Self {
            chunk_size: DEFAULT_CHUNK_SIZE,
            streams: HashMap::new(),
            input: Vec::new(),
            pending: 0,
        }
    }
}

/// A cursor over the unread input; `None` when it runs out (the chunk is not all here yet).
struct Cursor<'a> {
    input: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn bytes(&mut self, n: usize) -> Option<&[u8]> {
        let bytes = self.input.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(bytes)
    }

    fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }

    fn u24(&mut self) -> Option<u32> {
        self.bytes(3).map(|b| u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    fn u32_be(&mut self) -> Option<u32> {
        self.bytes(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u32_le(&mut self) -> Option<u32> {
        self.bytes(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl ChunkReader {
    /// Adds what arrived from the peer.
    pub fn push(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
    }

    /// The peer's `SetChunkSize`.
    pub fn set_chunk_size(&mut self, size: u32) -> Result<(), ChunkError> {
        match usize::try_from(size) {
            Ok(size) if (1..=MAX_MESSAGE).contains(&size) => {
                self.chunk_size = size;
                Ok(())
            }
            _ => Err(ChunkError::BadChunkSize(size)),
        }
    }

    /// The peer's `Abort`: the chunk stream's partial message is dropped.
    pub fn abort(&mut self, chunk_stream: u32) {
        if let Some(stream) = self.streams.get_mut(&chunk_stream) {
            self.pending -= stream.payload.len();
            stream.payload = Vec::new();
        }
    }

    /// The next whole message, or `None` until more input arrives.
    pub fn next_message(&mut self) -> Result<Option<Message>, ChunkError> {
        loop {
            let (consumed, message) = match self.read_chunk()? {
                Some(read) => read,
                None => return Ok(None),
            };
            self.input.drain(..consumed);
            if message.is_some() {
                return Ok(message);
            }
        }
    }

    /// Reads one chunk at the start of the input: the bytes it took, and the message it completed.
    fn read_chunk(&mut self) -> Result<Option<(usize, Option<Message>)>, ChunkError> {
        let mut cursor = Cursor {
            input: &self.input,
            at: 0,
        };
        let Some(first) = cursor.u8() else {
            return Ok(None);
        };
        let format = first >> 6;
        let id = match first & 0x3f {
            0 => match cursor.u8() {
                Some(b) => 64 + u32::from(b),
                None => return Ok(None),
            },
            1 => match cursor.bytes(2) {
                Some(b) => 64 + u32::from(b[0]) + 256 * u32::from(b[1]),
                None => return Ok(None),
            },
            id => u32::from(id),
        };
        if !self.streams.contains_key(&id) {
            if format != 0 {
                return Err(ChunkError::NoPreviousHeader(id));
            }
            if self.streams.len() >= MAX_CHUNK_STREAMS {
                return Err(ChunkError::TooManyChunkStreams);
            }
        }
        let previous = self.streams.get(&id);
        let starts_message = previous.is_none_or(|stream| stream.payload.is_empty());
        let mut header = match previous {
            Some(stream) => (
                stream.timestamp,
                stream.delta,
                stream.length,
                stream.type_id,
                stream.stream_id,
            ),
            None => (0, 0, 0, 0, 0),
        };
        let mut extended = previous.is_some_and(|stream| stream.extended);
        let mut field = None;
        match format {
            0 => {
                let (Some(ts), Some(len), Some(kind), Some(stream_id)) =
                    (cursor.u24(), cursor.u24(), cursor.u8(), cursor.u32_le())
                else {
                    return Ok(None);
                };
                field = Some(ts);
                header.2 = len as usize;
                header.3 = kind;
                header.4 = stream_id;
            }
            1 => {
                let (Some(ts), Some(len), Some(kind)) = (cursor.u24(), cursor.u24(), cursor.u8()) else {
                    return Ok(None);
                };
                field = Some(ts);
                header.2 = len as usize;
                header.3 = kind;
            }
            2 => {
                let Some(ts) = cursor.u24() else {
                    return Ok(None);
                };
                field = Some(ts);
            }
            _ => {}
        }
        if let Some(ts) = field {
            extended = ts == EXTENDED;
        }
        let value = if extended {
            match cursor.u32_be() {
                Some(value) => Some(value),
                None => return Ok(None),
            }
        } else {
            field
        };
        // The message's timestamp: absolute for type 0, a delta for types 1 and 2, the last delta again for a type-3
        // chunk that starts a message (after a type 0, its timestamp is the delta, as the specification says).
        // A type-3 chunk's extended timestamp only repeats the last one.
        let (timestamp, delta) = match (format, value) {
            (0, Some(ts)) => (ts, ts),
            (1 | 2, Some(delta)) => (header.0.wrapping_add(delta), delta),
            _ if starts_message => (header.0.wrapping_add(header.1), header.1),
            _ => (header.0, header.1),
        };
        if header.2 > MAX_MESSAGE {
            return Err(ChunkError::MessageTooLarge(header.2));
        }
        // A new header in the middle of a message starts it over (what came before it is dropped).
        let restart = !starts_message && format != 3;
        let already = if restart {
            0
        } else {
            previous.map_or(0, |stream| stream.payload.len())
        };
        let take = (header.2 - already.min(header.2)).min(self.chunk_size);
        let Some(body) = cursor.bytes(take) else {
            return Ok(None);
        };
        if self.pending + take > MAX_PENDING {
            return Err(ChunkError::TooMuchPending);
        }
        let body = body.to_vec();
        let consumed = cursor.at;
        let stream = self.streams.entry(id).or_default();
        if restart {
            self.pending -= stream.payload.len();
            stream.payload.clear();
        }
        stream.timestamp = timestamp;
        stream.delta = delta;
        stream.length = header.2;
        stream.type_id = header.3;
        stream.stream_id = header.4;
        stream.extended = extended;
        stream.payload.extend_from_slice(&body);
        self.pending += body.len();
        if stream.payload.len() < stream.length {
            return Ok(Some((consumed, None)));
        }
        self.pending -= stream.payload.len();
        let payload = std::mem::take(&mut stream.payload);
        Ok(Some((
            consumed,
            Some(Message {
                chunk_stream: id,
                timestamp,
                type_id: stream.type_id,
                stream_id: stream.stream_id,
                payload,
            }),
        )))
    }
}

/// Writes messages as chunks: each message's first chunk with a full header, the rest as continuations.
#[derive(Debug)]
pub struct ChunkWriter {
    chunk_size: usize,
}

impl Default for ChunkWriter {
    fn default() -> Self {
        Self {
            chunk_size: DEFAULT_CHUNK_SIZE,
        }
    }
}

impl ChunkWriter {
    /// Sets the size this side's chunks have from now on (after telling the peer with `SetChunkSize`).
    pub fn set_chunk_size(&mut self, size: usize) {
        self.chunk_size = size.clamp(1, MAX_MESSAGE);
    }

    /// Appends `message` to `out`.
    pub fn write(&self, message: &Message, out: &mut Vec<u8>) {
        let basic = |format: u8, out: &mut Vec<u8>| match message.chunk_stream {
            id @ 2..=63 => out.push((format << 6) | id as u8),
            id @ 64..=319 => out.extend_from_slice(&[format << 6, (id - 64) as u8]),
            id => {
                let id = id.clamp(64, 65_599) - 64;
                out.extend_from_slice(&[(format << 6) | 1, (id & 0xff) as u8, (id >> 8) as u8]);
            }
        };
        let extended = message.timestamp >= EXTENDED;
        basic(0, out);
        out.extend_from_slice(&message.timestamp.min(EXTENDED).to_be_bytes()[1..]);
        let len = u32::try_from(message.payload.len()).unwrap_or(EXTENDED).min(EXTENDED);
        out.extend_from_slice(&len.to_be_bytes()[1..]);
        out.push(message.type_id);
        out.extend_from_slice(&message.stream_id.to_le_bytes());
        for (i, piece) in message.payload.chunks(self.chunk_size).enumerate() {
            if i > 0 {
                basic(3, out);
            }
            if extended {
                out.extend_from_slice(&message.timestamp.to_be_bytes());
            }
            out.extend_from_slice(piece);
        }
        if message.payload.is_empty() && extended {
            out.extend_from_slice(&message.timestamp.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(chunk_stream: u32, timestamp: u32, type_id: u8, len: usize) -> Message {
        Message {
            chunk_stream,
            timestamp,
            type_id,
            stream_id: 1,
            payload: (0..len).map(|i| (i % 251) as u8).collect(),
        }
    }

    fn read_all(reader: &mut ChunkReader) -> Vec<Message> {
        let mut messages = Vec::new();
        while let Some(message) = reader.next_message().unwrap() {
            messages.push(message);
        }
        messages
    }

    #[test]
    fn messages_written_in_chunks_read_back_whole_byte_by_byte() {
        let sent = vec![
            message(3, 0, 20, 300),
            message(4, 40, 9, 1000),
            message(5, 0x0100_0000, 8, 200),
            message(70, 7, 9, 5),
            message(400, 9, 9, 0),
        ];
        let writer = ChunkWriter::default();
        let mut bytes = Vec::new();
        for m in &sent {
            writer.write(m, &mut bytes);
        }
        let mut reader = ChunkReader::default();
        let mut received = Vec::new();
        for byte in bytes {
            reader.push(&[byte]);
            received.extend(read_all(&mut reader));
        }
        assert_eq!(received, sent);
    }

    #[test]
    fn compressed_headers_carry_the_timestamp_forward() {
        // Type 0 at 1000, then type 2 (delta 33), then type 3 starting a message (the same delta again).
        let mut bytes = vec![0x06, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x02, 0x09, 1, 0, 0, 0, 0xaa, 0xbb];
        bytes.extend_from_slice(&[0x86, 0x00, 0x00, 0x21, 0xcc, 0xdd]);
        bytes.extend_from_slice(&[0xc6, 0xee, 0xff]);
        let mut reader = ChunkReader::default();
        reader.push(&bytes);
        let stamps: Vec<_> = read_all(&mut reader)
            .iter()
            .map(|m| (m.timestamp, m.payload.clone()))
            .collect();
        assert_eq!(
            stamps,
            [
                (1000, vec![0xaa, 0xbb]),
                (1033, vec![0xcc, 0xdd]),
                (1066, vec![0xee, 0xff])
            ]
        );
    }

    #[test]
    fn chunks_of_two_streams_may_interleave() {
        let writer = ChunkWriter::default();
        let (audio, video) = (message(4, 10, 8, 200), message(6, 10, 9, 200));
        let (mut a, mut v) = (Vec::new(), Vec::new());
        writer.write(&audio, &mut a);
        writer.write(&video, &mut v);
        // First chunk of each (header 12 + 128 bytes), then the rest of each.
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&v[..140]);
        bytes.extend_from_slice(&a[..140]);
        bytes.extend_from_slice(&v[140..]);
        bytes.extend_from_slice(&a[140..]);
        let mut reader = ChunkReader::default();
        reader.push(&bytes);
        assert_eq!(read_all(&mut reader), [video, audio]);
    }

    #[test]
    fn hostile_chunks_are_errors() {
        let mut reader = ChunkReader::default();
        reader.push(&[0x43, 0, 0, 0, 0, 0, 1, 9, 0xaa]);
        assert_eq!(reader.next_message(), Err(ChunkError::NoPreviousHeader(3)));

        let mut reader = ChunkReader::default();
        reader.push(&[0x03, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0]);
        assert_eq!(reader.next_message(), Err(ChunkError::MessageTooLarge(0xff_ffff)));

        let mut reader = ChunkReader::default();
        assert_eq!(reader.set_chunk_size(0), Err(ChunkError::BadChunkSize(0)));
        assert_eq!(
            reader.set_chunk_size(0x7fff_ffff),
            Err(ChunkError::BadChunkSize(0x7fff_ffff))
        );

        // Many chunk streams, each starting a big message: refused long before memory grows.
        let mut reader = ChunkReader::default();
        reader.set_chunk_size(65_536).unwrap();
        let mut outcome = Ok(None);
        for id in 0..200u32 {
            let mut chunk = vec![
                0x01,
                (id & 0xff) as u8,
                (id >> 8) as u8,
                0,
                0,
                0,
                0x7f,
                0xff,
                0xff,
                9,
                1,
                0,
                0,
                0,
            ];
            chunk.extend(std::iter::repeat_n(0u8, 65_536));
            reader.push(&chunk);
            outcome = reader.next_message();
            if outcome.is_err() {
                break;
            }
        }
        assert!(
            matches!(
                outcome,
                Err(ChunkError::TooManyChunkStreams | ChunkError::TooMuchPending)
            ),
            "{outcome:?}"
        );

        // Random bytes: errors or waiting, never a panic.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..200 {
            let mut reader = ChunkReader::default();
            let bytes: Vec<u8> = (0..512)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed >> 24) as u8
                })
                .collect();
            reader.push(&bytes);
            while let Ok(Some(_)) = reader.next_message() {}
        }
    }
}
