//! One RTMP publisher's connection, as a pure state machine: bytes in, events and bytes out; no sockets, no clock.
//! It plays the server's part of the handshake (the plain one, which OBS, ffmpeg and hardware encoders speak), then
//! the commands of a publish (`connect`, `releaseStream`, `FCPublish`, `createStream`, `publish`), and hands the
//! media on. Whether the stream key may publish is the caller's to decide: `publish` raises
//! [`Event::PublishRequested`], answered with [`Session::accept`] or [`Session::reject`].

use std::fmt;

use super::{
    amf0::{self, Amf0Error, Value},
    chunk::{ChunkError, ChunkReader, ChunkWriter, Message},
};

/// The handshake's C1/S1/C2/S2 length.
const HANDSHAKE: usize = 1536;
/// The chunk size this server writes with.
const OUT_CHUNK_SIZE: usize = 4096;
/// What the server asks the publisher to acknowledge, and the bandwidth it grants.
const WINDOW: u32 = 2_500_000;
/// The message stream a publish happens on (the answer to `createStream`).
const PUBLISH_STREAM: u32 = 1;

// Message types (RTMP 1.0, sections 5.4 and 7.1).
const SET_CHUNK_SIZE: u8 = 1;
const ABORT: u8 = 2;
const ACKNOWLEDGEMENT: u8 = 3;
const USER_CONTROL: u8 = 4;
const WINDOW_ACK_SIZE: u8 = 5;
const SET_PEER_BANDWIDTH: u8 = 6;
const AUDIO: u8 = 8;
const VIDEO: u8 = 9;
const DATA_AMF3: u8 = 15;
const COMMAND_AMF3: u8 = 17;
const DATA_AMF0: u8 = 18;
const COMMAND_AMF0: u8 = 20;

/// What a publisher did that the caller acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The publisher asks to publish `key` in the application `app` (`rtmp://host/{app}/{key}`).
    PublishRequested { app: String, key: String },
    /// The stream's description (`@setDataFrame onMetaData`).
    Metadata(Metadata),
    /// An audio or video message: an FLV tag's body, at the publisher's timestamp (ms).
    Media {
        kind: MediaKind,
        timestamp: u32,
        data: Vec<u8>,
    },
    /// The publisher ended its publish (`FCUnpublish`, `deleteStream`, `closeStream`).
    Unpublished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Audio,
    Video,
}

/// What an encoder says of its stream: each field when it says it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub frame_rate: Option<f64>,
    pub video_kbps: Option<f64>,
    pub audio_kbps: Option<f64>,
    pub encoder: Option<String>,
}

impl Metadata {
    /// What a data message (or an FLV script tag) says, if it is the stream's metadata: `@setDataFrame`,
    /// "onMetaData", {…}, or the older "onMetaData", {…}.
    pub fn from_data(values: &[Value]) -> Option<Self> {
        let mut values = values.iter();
        let properties = match values.next().and_then(Value::as_str) {
            Some("@setDataFrame") if values.next().and_then(Value::as_str) == Some("onMetaData") => values.next(),
            Some("onMetaData") => values.next(),
            _ => None,
        };
        properties.map(Self::from_object)
    }

    fn from_object(object: &Value) -> Self {
        let number = |key: &str| object.get(key).and_then(Value::as_number).filter(|n| n.is_finite());
        Self {
            width: number("width"),
            height: number("height"),
            frame_rate: number("framerate").or_else(|| number("videoframerate")),
            video_kbps: number("videodatarate"),
            audio_kbps: number("audiodatarate"),
            encoder: object
                .get("encoder")
                .and_then(Value::as_str)
                .map(|s| s.chars().take(80).collect()),
        }
    }
}

/// Why a connection is ended: what the peer sent cannot be RTMP from a publisher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// The first byte is not RTMP's version 3 (RTMPE, or not RTMP at all).
    Version(u8),
    Chunk(ChunkError),
    Amf0(Amf0Error),
    /// A command out of place (`publish` before `connect`, a second `publish`).
    Unexpected(&'static str),
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::Version(v) => write!(f, "not RTMP version 3 (first byte 0x{v:02x})"),
            ProtocolError::Chunk(e) => e.fmt(f),
            ProtocolError::Amf0(e) => e.fmt(f),
            ProtocolError::Unexpected(what) => write!(f, "unexpected: {what}"),
        }
    }
}

impl From<ChunkError> for ProtocolError {
    fn from(e: ChunkError) -> Self {
        ProtocolError::Chunk(e)
    }
}

impl From<Amf0Error> for ProtocolError {
    fn from(e: Amf0Error) -> Self {
        ProtocolError::Amf0(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Waiting for C0 and C1.
    Hello,
    /// S0, S1 and S2 sent; waiting for C2.
    Echo,
    /// Chunks.
    Messages,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Publish {
    None,
    /// Raised, not answered yet.
    Asked,
    Publishing,
    /// Refused, or ended by the publisher: nothing more passes.
    Over,
}

pub struct Session {
    stage: Stage,
    handshake: Vec<u8>,
    reader: ChunkReader,
    writer: ChunkWriter,
    out: Vec<u8>,
    app: Option<String>,
    publish: Publish,
    /// Bytes received, and at how many the last acknowledgement was sent.
    received: u64,
    acknowledged: u64,
    /// How often the peer wants acknowledgements (its `WindowAckSize`), 0 until it says.
    peer_window: u32,
    /// S1's random part (the server's half of the handshake).
    s1: [u8; HANDSHAKE],
}

impl Session {
    /// A session whose S1 carries `random` (from the OS; fixed in tests).
    pub fn new(random: [u8; HANDSHAKE]) -> Self {
        let mut s1 = random;
        // Time 0 and a zero version: the plain handshake, which every publisher accepts without a digest.
        s1[..8].fill(0);
        Self {
            stage: Stage::Hello,
            handshake: Vec::new(),
            reader: ChunkReader::default(),
            writer: ChunkWriter::default(),
            out: Vec::new(),
            app: None,
            publish: Publish::None,
            received: 0,
            acknowledged: 0,
            peer_window: 0,
            s1,
        }
    }

    /// What to send the peer now.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Whether the publish was accepted and goes on.
    pub fn is_publishing(&self) -> bool {
        self.publish == Publish::Publishing
    }

    /// Feeds what arrived; the events it completed.
    pub fn feed(&mut self, input: &[u8]) -> Result<Vec<Event>, ProtocolError> {
        self.received += input.len() as u64;
        let mut events = Vec::new();
        let input = self.handshake(input)?;
        if self.stage != Stage::Messages {
            return Ok(events);
        }
        self.reader.push(input);
        while let Some(message) = self.reader.next_message()? {
            self.message(message, &mut events)?;
        }
        if self.peer_window > 0 && self.received - self.acknowledged >= u64::from(self.peer_window) {
            self.acknowledged = self.received;
            // The sequence number wraps at 2^32 (section 5.4.3).
            let sequence = (self.received & 0xffff_ffff) as u32;
            self.send(2, ACKNOWLEDGEMENT, 0, sequence.to_be_bytes().to_vec());
        }
        Ok(events)
    }

    /// Takes the handshake's bytes out of `input`; what follows it.
    fn handshake<'a>(&mut self, input: &'a [u8]) -> Result<&'a [u8], ProtocolError> {
        let need = match self.stage {
            Stage::Hello => 1 + HANDSHAKE,
            Stage::Echo => HANDSHAKE,
            Stage::Messages => return Ok(input),
        };
        // Not RTMP (an HTTP request, RTMPE): known from the first byte.
        if self.stage == Stage::Hello
            && let Some(&version) = self.handshake.first().or(input.first())
            && version != 3
        {
            return Err(ProtocolError::Version(version));
        }
        let wanted = need - self.handshake.len();
        let (part, rest) = input.split_at(wanted.min(input.len()));
        self.handshake.extend_from_slice(part);
        if self.handshake.len() < need {
            return Ok(&[]);
        }
        match self.stage {
            Stage::Hello => {
                if self.handshake[0] != 3 {
                    return Err(ProtocolError::Version(self.handshake[0]));
                }
                // S0, S1, then S2 echoing C1.
                self.out.push(3);
                self.out.extend_from_slice(&self.s1);
                self.out.extend_from_slice(&self.handshake[1..]);
                self.stage = Stage::Echo;
            }
            // C2 should echo S1; publishers differ in how exactly, and nothing depends on it.
            _ => self.stage = Stage::Messages,
        }
        self.handshake.clear();
        self.handshake(rest)
    }

    fn send(&mut self, chunk_stream: u32, type_id: u8, stream_id: u32, payload: Vec<u8>) {
        let message = Message {
            chunk_stream,
            timestamp: 0,
            type_id,
            stream_id,
            payload,
        };
        self.writer.write(&message, &mut self.out);
    }

    fn command(&mut self, stream_id: u32, values: &[Value]) {
        let chunk_stream = if stream_id == 0 { 3 } else { 5 };
        self.send(chunk_stream, COMMAND_AMF0, stream_id, amf0::encode(values));
    }

    fn result(&mut self, transaction: f64, values: Vec<Value>) {
        let mut all = vec![Value::String("_result".into()), Value::Number(transaction)];
        all.extend(values);
        self.command(0, &all);
    }

    fn status(&mut self, level: &str, code: &str, description: &str) {
        let info = Value::object([
            ("level", Value::String(level.into())),
            ("code", Value::String(code.into())),
            ("description", Value::String(description.into())),
        ]);
        self.command(
            PUBLISH_STREAM,
            &[Value::String("onStatus".into()), Value::Number(0.0), Value::Null, info],
        );
    }

    /// Accepts the publish asked for: the publisher starts sending media.
    pub fn accept(&mut self) {
        if self.publish != Publish::Asked {
            return;
        }
        self.publish = Publish::Publishing;
        // User control: StreamBegin on the publish stream.
        let mut begin = vec![0, 0];
        begin.extend_from_slice(&PUBLISH_STREAM.to_be_bytes());
        self.send(2, USER_CONTROL, 0, begin);
        self.status("status", "NetStream.Publish.Start", "Publishing.");
    }

    /// Refuses the publish asked for, saying `description` (an encoder shows it: "Server error: …"); the caller then
    /// closes the connection once the output is sent.
    pub fn reject(&mut self, description: &str) {
        if self.publish != Publish::Asked {
            return;
        }
        self.publish = Publish::Over;
        self.status("error", "NetStream.Publish.BadName", description);
    }

    /// Ends a publish under way, saying why (`description`: the encoder shows "Server error: …"); the caller then
    /// closes the connection.
    pub fn end_publish(&mut self, description: &str) {
        if self.publish != Publish::Publishing {
            return;
        }
        self.publish = Publish::Over;
        self.status("error", "NetStream.Publish.Failed", description);
    }

    fn message(&mut self, message: Message, events: &mut Vec<Event>) -> Result<(), ProtocolError> {
        let payload = &message.payload;
        let u32_at_start = || payload.get(..4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        match message.type_id {
            SET_CHUNK_SIZE => {
                let size = u32_at_start().ok_or(ProtocolError::Unexpected("short SetChunkSize"))?;
                self.reader.set_chunk_size(size & 0x7fff_ffff)?;
            }
            ABORT => {
                if let Some(id) = u32_at_start() {
                    self.reader.abort(id);
                }
            }
            WINDOW_ACK_SIZE => self.peer_window = u32_at_start().unwrap_or(0),
            ACKNOWLEDGEMENT | USER_CONTROL | SET_PEER_BANDWIDTH => {}
            COMMAND_AMF0 => self.command_message(&amf0::decode(payload)?, events)?,
            COMMAND_AMF3 => self.command_message(&amf0::decode(payload.get(1..).unwrap_or_default())?, events)?,
            DATA_AMF0 => self.data_message(&amf0::decode(payload)?, events),
            DATA_AMF3 => self.data_message(&amf0::decode(payload.get(1..).unwrap_or_default())?, events),
            AUDIO | VIDEO if self.is_publishing() && !payload.is_empty() => events.push(Event::Media {
                kind: if message.type_id == AUDIO {
                    MediaKind::Audio
                } else {
                    MediaKind::Video
                },
                timestamp: message.timestamp,
                data: message.payload,
            }),
            // Media before the publish is accepted, aggregates, shared objects: nothing a publisher needs.
            _ => {}
        }
        Ok(())
    }

    fn command_message(&mut self, values: &[Value], events: &mut Vec<Event>) -> Result<(), ProtocolError> {
        let name = values.first().and_then(Value::as_str).unwrap_or_default();
        let transaction = values.get(1).and_then(Value::as_number).unwrap_or(0.0);
        match name {
            "connect" => {
                let app = values
                    .get(2)
                    .and_then(|o| o.get("app"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                // "live" from "rtmp://host/live/key"; a trailing "/" or "?query" is not part of it.
                let app = app.split(['/', '?']).next().unwrap_or_default().to_owned();
                self.app = Some(app);
                self.send(2, WINDOW_ACK_SIZE, 0, WINDOW.to_be_bytes().to_vec());
                let mut bandwidth = WINDOW.to_be_bytes().to_vec();
                bandwidth.push(2);
                self.send(2, SET_PEER_BANDWIDTH, 0, bandwidth);
                self.send(2, SET_CHUNK_SIZE, 0, (OUT_CHUNK_SIZE as u32).to_be_bytes().to_vec());
                self.writer.set_chunk_size(OUT_CHUNK_SIZE);
                let properties = Value::object([
                    ("fmsVer", Value::String("FMS/3,0,1,123".into())),
                    ("capabilities", Value::Number(31.0)),
                ]);
                let information = Value::object([
                    ("level", Value::String("status".into())),
                    ("code", Value::String("NetConnection.Connect.Success".into())),
                    ("description", Value::String("Connection succeeded.".into())),
                    ("objectEncoding", Value::Number(0.0)),
                ]);
                self.result(transaction, vec![properties, information]);
            }
            "releaseStream" | "FCPublish" => self.result(transaction, vec![Value::Null, Value::Undefined]),
            "createStream" => self.result(transaction, vec![Value::Null, Value::Number(f64::from(PUBLISH_STREAM))]),
            "publish" => {
                let Some(app) = self.app.clone() else {
                    return Err(ProtocolError::Unexpected("publish before connect"));
                };
                if self.publish != Publish::None {
                    return Err(ProtocolError::Unexpected("a second publish"));
                }
                // ffmpeg and OBS send the key as it is; some encoders append "?query".
                let key = values.get(3).and_then(Value::as_str).unwrap_or_default();
                let key = key.split('?').next().unwrap_or_default().to_owned();
                self.publish = Publish::Asked;
                events.push(Event::PublishRequested { app, key });
            }
            "FCUnpublish" | "deleteStream" | "closeStream" if self.is_publishing() => {
                self.publish = Publish::Over;
                events.push(Event::Unpublished);
            }
            _ => {}
        }
        Ok(())
    }

    fn data_message(&mut self, values: &[Value], events: &mut Vec<Event>) {
        if !self.is_publishing() {
            return;
        }
        if let Some(metadata) = Metadata::from_data(values) {
            events.push(Event::Metadata(metadata));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A publisher's side, as ffmpeg speaks it.
    struct Publisher {
        writer: ChunkWriter,
        reader: ChunkReader,
    }

    impl Publisher {
        fn new() -> Self {
            Self {
                writer: ChunkWriter::default(),
                reader: ChunkReader::default(),
            }
        }

        fn hello() -> Vec<u8> {
            let mut bytes = vec![3];
            bytes.extend((0..HANDSHAKE).map(|i| (i * 7) as u8));
            bytes
        }

        fn command(&self, values: &[Value], stream_id: u32) -> Vec<u8> {
            let mut out = Vec::new();
            let message = Message {
                chunk_stream: 3,
                timestamp: 0,
                type_id: COMMAND_AMF0,
                stream_id,
                payload: amf0::encode(values),
            };
            self.writer.write(&message, &mut out);
            out
        }

        fn media(&self, type_id: u8, timestamp: u32, payload: Vec<u8>) -> Vec<u8> {
            let mut out = Vec::new();
            let chunk_stream = if type_id == AUDIO { 4 } else { 6 };
            let message = Message {
                chunk_stream,
                timestamp,
                type_id,
                stream_id: PUBLISH_STREAM,
                payload,
            };
            self.writer.write(&message, &mut out);
            out
        }

        /// A data message (`@setDataFrame`) on the publish stream.
        fn data(&self, payload: Vec<u8>) -> Vec<u8> {
            let mut out = Vec::new();
            let message = Message {
                chunk_stream: 4,
                timestamp: 0,
                type_id: DATA_AMF0,
                stream_id: PUBLISH_STREAM,
                payload,
            };
            self.writer.write(&message, &mut out);
            out
        }

        /// The server's commands in what it sent (after the handshake).
        fn commands(&mut self, bytes: &[u8]) -> Vec<Vec<Value>> {
            self.reader.push(bytes);
            let mut commands = Vec::new();
            while let Some(message) = self.reader.next_message().unwrap() {
                match message.type_id {
                    SET_CHUNK_SIZE => {
                        let size = u32::from_be_bytes(message.payload[..4].try_into().unwrap());
                        self.reader.set_chunk_size(size).unwrap();
                    }
                    COMMAND_AMF0 => commands.push(amf0::decode(&message.payload).unwrap()),
                    _ => {}
                }
            }
            commands
        }
    }

    fn connected() -> (Session, Publisher) {
        let mut session = Session::new([9; HANDSHAKE]);
        let mut publisher = Publisher::new();
        let hello = Publisher::hello();
        // The handshake in two pieces, as a socket may deliver it.
        assert!(session.feed(&hello[..100]).unwrap().is_empty());
        assert!(session.take_output().is_empty());
        session.feed(&hello[100..]).unwrap();
        let answer = session.take_output();
        assert_eq!(answer.len(), 1 + 2 * HANDSHAKE);
        assert_eq!(&answer[1 + HANDSHAKE..], &hello[1..], "S2 echoes C1");
        let connect = publisher.command(
            &[
                Value::String("connect".into()),
                Value::Number(1.0),
                Value::object([("app", Value::String("live".into()))]),
            ],
            0,
        );
        let mut bytes = vec![0u8; HANDSHAKE];
        bytes.extend(connect);
        assert!(session.feed(&bytes).unwrap().is_empty());
        let commands = publisher.commands(&session.take_output());
        assert_eq!(commands[0][0], Value::String("_result".into()));
        assert_eq!(
            commands[0][3].get("code"),
            Some(&Value::String("NetConnection.Connect.Success".into()))
        );
        (session, publisher)
    }

    fn ask_to_publish(session: &mut Session, publisher: &mut Publisher, key: &str) -> Vec<Event> {
        let create = publisher.command(
            &[Value::String("createStream".into()), Value::Number(2.0), Value::Null],
            0,
        );
        session.feed(&create).unwrap();
        let commands = publisher.commands(&session.take_output());
        assert_eq!(commands[0][3], Value::Number(1.0), "the stream to publish on");
        let publish = publisher.command(
            &[
                Value::String("publish".into()),
                Value::Number(3.0),
                Value::Null,
                Value::String(key.into()),
                Value::String("live".into()),
            ],
            1,
        );
        session.feed(&publish).unwrap()
    }

    #[test]
    fn an_accepted_publisher_streams_its_metadata_and_media() {
        let (mut session, mut publisher) = connected();
        let events = ask_to_publish(&mut session, &mut publisher, "k3y?secret=no");
        assert_eq!(
            events,
            [Event::PublishRequested {
                app: "live".into(),
                key: "k3y".into()
            }]
        );
        // Media before the answer is not passed on.
        assert!(
            session
                .feed(&publisher.media(VIDEO, 0, vec![0x17, 0]))
                .unwrap()
                .is_empty()
        );
        session.accept();
        let status = publisher.commands(&session.take_output());
        assert_eq!(
            status[0][3].get("code"),
            Some(&Value::String("NetStream.Publish.Start".into()))
        );
        let metadata = amf0::encode(&[
            Value::String("@setDataFrame".into()),
            Value::String("onMetaData".into()),
            Value::object([
                ("width", Value::Number(1280.0)),
                ("height", Value::Number(720.0)),
                ("framerate", Value::Number(30.0)),
                ("encoder", Value::String("Lavf59.27.100".into())),
            ]),
        ]);
        let mut bytes = publisher.data(metadata);
        bytes.extend(publisher.media(VIDEO, 0, vec![0x17, 0, 0, 0, 0, 1, 2]));
        bytes.extend(publisher.media(AUDIO, 23, vec![0xaf, 1, 5]));
        let events = session.feed(&bytes).unwrap();
        assert_eq!(
            events,
            [
                Event::Metadata(Metadata {
                    width: Some(1280.0),
                    height: Some(720.0),
                    frame_rate: Some(30.0),
                    encoder: Some("Lavf59.27.100".into()),
                    ..Metadata::default()
                }),
                Event::Media {
                    kind: MediaKind::Video,
                    timestamp: 0,
                    data: vec![0x17, 0, 0, 0, 0, 1, 2]
                },
                Event::Media {
                    kind: MediaKind::Audio,
                    timestamp: 23,
                    data: vec![0xaf, 1, 5]
                },
            ]
        );
        let end = publisher.command(
            &[Value::String("FCUnpublish".into()), Value::Number(5.0), Value::Null],
            0,
        );
        assert_eq!(session.feed(&end).unwrap(), [Event::Unpublished]);
    }

    #[test]
    fn a_refused_publisher_is_told_why_and_gets_nothing_through() {
        let (mut session, mut publisher) = connected();
        ask_to_publish(&mut session, &mut publisher, "wrong");
        session.reject("unknown stream key");
        let status = publisher.commands(&session.take_output());
        assert_eq!(status[0][3].get("level"), Some(&Value::String("error".into())));
        assert_eq!(
            status[0][3].get("description"),
            Some(&Value::String("unknown stream key".into()))
        );
        assert!(
            session
                .feed(&publisher.media(VIDEO, 0, vec![0x17, 1]))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_publish_under_way_is_ended_with_its_reason_and_nothing_more_passes() {
        let (mut session, mut publisher) = connected();
        session.end_publish("not yet publishing");
        assert!(session.take_output().is_empty(), "nothing to end before a publish");
        ask_to_publish(&mut session, &mut publisher, "key");
        session.accept();
        session.take_output();
        session.end_publish("the stream has no video");
        let status = publisher.commands(&session.take_output());
        assert_eq!(status[0][3].get("level"), Some(&Value::String("error".into())));
        assert_eq!(
            status[0][3].get("code"),
            Some(&Value::String("NetStream.Publish.Failed".into()))
        );
        assert_eq!(
            status[0][3].get("description"),
            Some(&Value::String("the stream has no video".into()))
        );
        assert!(
            session
                .feed(&publisher.media(VIDEO, 0, vec![0x17, 1]))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn acknowledgements_follow_the_peers_window() {
        let (mut session, mut publisher) = connected();
        let mut window = Vec::new();
        publisher.writer.write(
            &Message {
                chunk_stream: 2,
                timestamp: 0,
                type_id: WINDOW_ACK_SIZE,
                stream_id: 0,
                payload: 5000u32.to_be_bytes().to_vec(),
            },
            &mut window,
        );
        session.feed(&window).unwrap();
        session.take_output();
        ask_to_publish(&mut session, &mut publisher, "key");
        session.accept();
        publisher.commands(&session.take_output());
        session.feed(&publisher.media(VIDEO, 0, vec![0x17; 6000])).unwrap();
        let mut reader = ChunkReader::default();
        reader.set_chunk_size(OUT_CHUNK_SIZE as u32).unwrap();
        reader.push(&session.take_output());
        let ack = reader.next_message().unwrap().unwrap();
        assert_eq!(ack.type_id, ACKNOWLEDGEMENT);
        assert!(u32::from_be_bytes(ack.payload[..4].try_into().unwrap()) > 5000);
    }

    #[test]
    fn what_is_not_a_publisher_is_refused_without_a_panic() {
        let mut session = Session::new([0; HANDSHAKE]);
        assert_eq!(
            session.feed(&[6]),
            Err(ProtocolError::Version(6)),
            "known from the first byte"
        );

        // publish before connect.
        let mut session = Session::new([0; HANDSHAKE]);
        let publisher = Publisher::new();
        let mut bytes = Publisher::hello();
        bytes.extend(vec![0; HANDSHAKE]);
        bytes.extend(publisher.command(
            &[
                Value::String("publish".into()),
                Value::Number(0.0),
                Value::Null,
                Value::String("k".into()),
            ],
            1,
        ));
        assert_eq!(
            session.feed(&bytes),
            Err(ProtocolError::Unexpected("publish before connect"))
        );

        // Short commands and data, the ones that crash other servers: `["connect"]`, `["@setDataFrame"]`.
        let (mut session, publisher) = connected();
        session
            .feed(&publisher.command(&[Value::String("connect".into())], 0))
            .unwrap();
        session.feed(&publisher.command(&[], 0)).unwrap();
        let data = publisher.data(amf0::encode(&[Value::String("@setDataFrame".into())]));
        session.feed(&data).unwrap();

        // Random bytes after a good handshake: an error or nothing, never a panic.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..300 {
            let (mut session, _) = connected();
            let bytes: Vec<u8> = (0..700)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed >> 32) as u8
                })
                .collect();
            let _ = session.feed(&bytes);
        }
    }
}
