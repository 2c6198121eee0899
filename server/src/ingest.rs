//! Live ingest: an operator's own encoder (OBS, ffmpeg, a phone app, a hardware encoder) puts a show on air over
//! RTMP (`rtmp://{host}:{port}/live/{streamKey}`). Each show has a primary and a backup key, issued by the operator
//! and kept as their SHA-256 only; a wrong or replaced key is refused at the protocol level (the encoder shows
//! "Server error: unknown stream key"), and so is a second publisher on a key already publishing. An accepted
//! stream goes to the show's transcoder (`transcode`): one ffmpeg making the adaptive ladder as HLS under the show's
//! media folder, where the player finds it.
//!
//! `rtmp` is the protocol (a pure session, and the listener that drives it); `flv` the container the transcoder
//! reads. A key is never logged: the log names the show and the role.

pub mod flv;
pub mod health;
pub mod packager;
pub mod playlist;
mod publisher;
pub mod rtmp;
pub mod splice;
pub mod srt;
pub mod transcode;

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::http::StatusCode;
use caravan::api::{Refusal, RefusalCode};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::{
    error::AppError,
    media_store::MediaStore,
    publish::{Announcement, Publisher},
    secret::{Secret, hex, random_token},
    store::{
        EncoderReading, EventRecord, EventStatus, KeyRole, Lead, Store, StoredStreamStatus, StreamReadings,
        StreamState, StreamStatusRecord,
    },
};
use health::Meter;
use packager::{Keep, Packager};
use rtmp::session::MediaKind;
use splice::Splicer;
use transcode::{Rung, Transcoder};

/// The RTMP application encoders publish to (`rtmp://host/live/{key}`).
pub const APP: &str = "live";
/// How often a show on air says where its stream stands, with fresh readings.
const REPORT_EVERY_MS: f64 = 2_000.0;
/// A live status older than this was left by an ingest that is gone (its server stopped): the show is interrupted.
const LIVE_STATUS_LASTS: chrono::TimeDelta = chrono::TimeDelta::seconds(10);

/// What the ingest needs (given by the root).
#[derive(Debug, Clone)]
pub struct IngestSettings {
    /// The RTMP listener's address; `None`: no ingest.
    pub rtmp_addr: Option<SocketAddr>,
    /// The SRT listener's address; `None`: no SRT.
    pub srt_addr: Option<SocketAddr>,
    /// What SRT callers encrypt with; `None`: nothing.
    pub srt_passphrase: Option<Secret<String>>,
    /// How encoders reach this server, for the URLs operators are given (`host` or `host:port`).
    pub public_host: String,
    /// The media store (`/media`): a show's stream goes to `{folder}/live` in it, its recording to
    /// `{folder}/recording`.
    pub media: MediaStore,
    /// Shows whose stream never ends (the demo's), by id: only their live window is kept, and no recording.
    pub endless: BTreeSet<String>,
    /// Where the transcoders write (a folder per show, never served).
    pub work_dir: PathBuf,
    /// ffmpeg, when found.
    pub ffmpeg: Option<PathBuf>,
    /// The ladder's rungs, highest first.
    pub ladder: Vec<Rung>,
    /// The segments' length.
    pub segment_seconds: u32,
    /// Add the encoder's own picture as the top rung, copied (`CARAVAN_INGEST_PASSTHROUGH`).
    pub passthrough: bool,
    /// A publisher that sends nothing for this long is ended.
    pub idle: Duration,
}

/// A key as issued: shown to the operator once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedKey {
    pub role: KeyRole,
    /// The encoder's "server" (`rtmp://host:port/live`).
    pub rtmp_url: String,
    /// The whole SRT address, key included (`srt://host:port?streamid=…`), when SRT is on.
    pub srt_url: Option<String>,
    pub key: String,
}

/// Why a publisher is refused; its words go to the encoder (never the key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PublishRefusal {
    #[error("unknown application: publish to rtmp://host/live/<stream key>")]
    UnknownApp,
    #[error("unknown stream key")]
    UnknownKey,
    #[error("this stream key is already publishing")]
    InUse,
    #[error("the show has ended")]
    Ended,
    #[error("the server cannot transcode streams (ffmpeg is not installed)")]
    NoTranscoder,
    #[error("the server cannot take the stream now")]
    Unavailable,
    #[error("this show is on air through another server: publish to that one")]
    OnAnotherServer,
}

/// The live ingest of every show.
#[derive(Clone)]
pub struct Ingest {
    store: Store,
    publisher: Publisher,
    settings: Arc<IngestSettings>,
    /// The show and role of every key publishing now.
    on_air: Arc<Mutex<HashSet<(String, KeyRole)>>>,
    /// The shows on air, by id: their encoders' splice and transcoder.
    channels: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<Channel>>>>>,
    /// The shows whose stream this replica makes (the lead `ingest:{id}`, held while an encoder publishes): one
    /// replica at a time writes a show's media.
    leads: Arc<tokio::sync::Mutex<HashMap<String, Lead>>>,
    /// The clock the splice reads (milliseconds since this).
    epoch: Instant,
}

/// A show on air: its encoders spliced into one stream, and the transcoder that reads it.
pub struct Channel {
    event: EventRecord,
    splicer: Splicer,
    transcoder: Option<Transcoder>,
    packaging: Option<Packaging>,
    buffer: Vec<u8>,
    /// The operator ended the show: its encoders are ended at their next tag, and its recording made final.
    ended: bool,
    /// Each encoder publishing: its picture's size and its meter.
    meters: BTreeMap<KeyRole, (InputSize, Meter)>,
    /// The encoder on air at the last report, and when that was (the ingest's clock).
    reported: (Option<KeyRole>, f64),
    /// The stream of this transcoder has been said to be live (once it was playable).
    said_live: bool,
    /// The encoders that have sent audio.
    audio_from: BTreeSet<KeyRole>,
}

impl Channel {
    /// The readings of every encoder publishing, and of the transcoder.
    fn readings(&self, segment_seconds: u32) -> StreamReadings {
        let encoders = self
            .meters
            .iter()
            .map(|(&role, (size, meter))| {
                let reading = meter.reading();
                EncoderReading {
                    role,
                    on_air: self.splicer.active() == Some(role),
                    width: size.width,
                    height: size.height,
                    frame_rate: reading.frame_rate,
                    bitrate_kbps: reading.bitrate_kbps,
                    keyframe_interval: reading.keyframe_interval,
                }
            })
            .collect();
        StreamReadings {
            encoders,
            transcoder: self.transcoder.as_ref().and_then(Transcoder::reading),
            segment_seconds,
        }
    }
}

/// The packager at work beside a transcoder: it takes each finished segment every tenth of a second.
struct Packaging {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    /// Turns true once viewers can play the stream (`Packager::playable`).
    playable: tokio::sync::watch::Receiver<bool>,
}

impl Packaging {
    fn start(mut packager: Packager, show: String) -> Self {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let (playable_now, playable) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                let last = tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(100)) => false,
                    _ = stopped.changed() => true,
                };
                if let Err(e) = packager.poll().await {
                    tracing::warn!(%show, error = %e, "cannot publish the show's new segments");
                }
                if packager.playable() {
                    playable_now.send_if_modified(|playable| !std::mem::replace(playable, true));
                }
                if last {
                    return;
                }
            }
        });
        Self { stop, task, playable }
    }

    fn playable(&self) -> bool {
        *self.playable.borrow()
    }

    /// Takes what the transcoder finished last, then stops.
    async fn finish(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// What an encoder says of its picture (its metadata), when it says it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputSize {
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The video bitrate it says it sends (kbit/s).
    pub video_kbps: Option<u32>,
}

/// A publisher holding its show's key: the key is free again when this goes.
pub struct OnAir {
    pub event: EventRecord,
    pub role: KeyRole,
    on_air: Arc<Mutex<HashSet<(String, KeyRole)>>>,
}

impl Drop for OnAir {
    fn drop(&mut self) {
        if let Ok(mut on_air) = self.on_air.lock() {
            on_air.remove(&(self.event.id.clone(), self.role));
        }
    }
}

/// 404 `not_found`: no show has this id.
fn unknown_show(event_id: &str) -> AppError {
    AppError::refused(
        StatusCode::NOT_FOUND,
        Refusal::new(RefusalCode::NotFound, format!("no show with id {event_id}")),
    )
}

/// The show's folder under /media: its media prefix, or its slug.
fn folder(event: &EventRecord) -> String {
    event.media_prefix.clone().unwrap_or_else(|| event.slug.clone())
}

fn key_hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

impl Ingest {
    pub fn new(store: Store, publisher: Publisher, settings: IngestSettings) -> Self {
        Self {
            store,
            publisher,
            settings: Arc::new(settings),
            on_air: Arc::default(),
            channels: Arc::default(),
            leads: Arc::default(),
            epoch: Instant::now(),
        }
    }

    /// The channel of a show going on air (the one its other encoder opened, if any).
    pub fn channel(&self, event: &EventRecord) -> Arc<tokio::sync::Mutex<Channel>> {
        let mut channels = self.channels.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        channels
            .entry(event.id.clone())
            .or_insert_with(|| {
                Arc::new(tokio::sync::Mutex::new(Channel {
                    event: event.clone(),
                    splicer: Splicer::default(),
                    transcoder: None,
                    packaging: None,
                    buffer: Vec::new(),
                    ended: false,
                    meters: BTreeMap::new(),
                    reported: (None, f64::NEG_INFINITY),
                    said_live: false,
                    audio_from: BTreeSet::new(),
                }))
            })
            .clone()
    }

    /// One tag from the `role` encoder of the channel's show (`size`: its picture's, as its metadata says): on air
    /// or not as the splice decides, the transcoder and its packager started with the first tag on air. `Err` ends
    /// that publish.
    pub async fn media(
        &self,
        channel: &mut Channel,
        role: KeyRole,
        size: InputSize,
        media: (MediaKind, u32, &[u8]),
    ) -> Result<(), String> {
        if channel.ended {
            return Err("the operator ended the show".into());
        }
        let (kind, timestamp, body) = media;
        let now_ms = self.epoch.elapsed().as_secs_f64() * 1000.0;
        if kind == MediaKind::Audio {
            channel.audio_from.insert(role);
        }
        let meter = channel.meters.entry(role).or_insert_with(|| (size, Meter::default()));
        meter.0 = size;
        meter.1.observe(kind, timestamp, body);
        let tags = channel.splicer.media(role, kind, timestamp, body, now_ms);
        if tags.is_empty() {
            return Ok(());
        }
        if channel.transcoder.is_none() {
            // An encoder sends its audio's configuration before its first keyframe: none by then, no audio.
            let audio = channel.audio_from.contains(&role);
            let codecs = tags.iter().find_map(|tag| {
                (tag.kind == flv::TagType::Video)
                    .then(|| flv::avc_codecs(&tag.body))
                    .flatten()
            });
            self.start(channel, size, audio, codecs).await?;
        }
        channel.buffer.clear();
        for tag in &tags {
            flv::write_tag(tag.kind, tag.timestamp, &tag.body, &mut channel.buffer);
        }
        let transcoder = channel.transcoder.as_mut().ok_or("no transcoder")?;
        transcoder
            .write(&channel.buffer)
            .await
            .map_err(|e| format!("the transcoder stopped: {e}"))?;
        // Live once viewers can play it (a player sent to it earlier would find no segments), then at each switch
        // and every 2 s.
        if !channel.packaging.as_ref().is_some_and(Packaging::playable) {
            return Ok(());
        }
        let (on_air, at) = channel.reported;
        if !channel.said_live {
            channel.said_live = true;
            let url = format!("/media/{}/live/master.m3u8", folder(&channel.event));
            self.went_live(&mut channel.event, url).await;
            self.report(channel, StreamState::Live).await;
        } else if on_air != channel.splicer.active() || now_ms - at >= REPORT_EVERY_MS {
            self.follow_the_show(channel).await;
            self.report(channel, StreamState::Live).await;
        }
        Ok(())
    }

    /// Reads the show again (every 2 s on air): the operator may have ended it through another replica, which then
    /// leaves the end of its stream to this one (see `end_show`).
    async fn follow_the_show(&self, channel: &mut Channel) {
        match self.store.event_by_id(&channel.event.id).await {
            Ok(Some(event)) if event.status_at(Utc::now()) == EventStatus::Ended => {
                tracing::info!(show = %event.id, "the show was ended through another server");
                channel.event = event;
                channel.ended = true;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(show = %channel.event.id, error = %e, "cannot read the show"),
        }
    }

    /// Says where the show's stream stands: stored for every replica, and told to open pages and consoles.
    async fn report(&self, channel: &mut Channel, state: StreamState) {
        channel.reported = (channel.splicer.active(), self.epoch.elapsed().as_secs_f64() * 1000.0);
        let readings = channel.readings(self.settings.segment_seconds);
        let id = &channel.event.id;
        let now = Utc::now();
        if let Err(e) = self.store.save_stream_status(id, state, &readings, now).await {
            tracing::warn!(show = %id, error = %e, "cannot record where the show's stream stands");
        }
        let stored = StoredStreamStatus {
            state,
            readings,
            updated_at: now,
        };
        let status = status_of(&channel.event, Some(stored), now);
        self.publisher.publish(Announcement::StreamStatus(status));
    }

    /// Starts the show's transcoder (writing into its work folder) and the packager that publishes its segments;
    /// `codecs`: the encoder's picture's, for a passthrough rung.
    async fn start(
        &self,
        channel: &mut Channel,
        size: InputSize,
        audio: bool,
        codecs: Option<String>,
    ) -> Result<(), String> {
        let ffmpeg = self
            .settings
            .ffmpeg
            .as_deref()
            .ok_or("ffmpeg is not installed on the server")?;
        let rungs = match (self.settings.passthrough, size.height, codecs) {
            (true, Some(height), Some(codecs)) => {
                transcode::with_passthrough(&self.settings.ladder, size, height, codecs)
            }
            _ => transcode::rungs_for(&self.settings.ladder, size.height),
        };
        let folder = folder(&channel.event);
        let work = self.settings.work_dir.join(&channel.event.id);
        let segment_seconds = self.settings.segment_seconds;
        let transcoder = Transcoder::start(ffmpeg, &work, &rungs, segment_seconds, audio)
            .await
            .map_err(|e| format!("cannot start the transcoder: {e}"))?;
        let aspect = match (size.width, size.height) {
            (Some(width), Some(height)) if height > 0 => f64::from(width) / f64::from(height),
            _ => 16.0 / 9.0,
        };
        let keep = if self.settings.endless.contains(&channel.event.id) {
            Keep::Window
        } else {
            Keep::Everything
        };
        let media = (&self.settings.media, folder.as_str());
        let packager = Packager::open(&work, media, keep, &rungs, (aspect, segment_seconds), Utc::now())
            .await
            .map_err(|e| format!("cannot prepare the show's media: {e}"))?;
        channel.transcoder = Some(transcoder);
        channel.packaging = Some(Packaging::start(packager, channel.event.id.clone()));
        channel.said_live = false;
        Ok(())
    }

    /// The `role` encoder of the show is gone: the other takes over, or, when none is left, the transcoder ends.
    pub async fn gone(&self, event_id: &str, role: KeyRole) {
        let Some(channel) = self
            .channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(event_id)
            .cloned()
        else {
            return;
        };
        // The channel stays (a show's, small): the next encoder to publish starts a transcoder in it again.
        let mut locked = channel.lock().await;
        locked.splicer.gone(role);
        locked.meters.remove(&role);
        locked.audio_from.remove(&role);
        if locked.splicer.is_empty() {
            self.off_air(&mut locked).await;
            // Another replica may make the show's stream now.
            self.leads.lock().await.remove(event_id);
        } else if locked.said_live {
            self.report(&mut locked, StreamState::Live).await;
        }
    }

    /// No encoder is left: the transcoder writes its last segments, the packager publishes them, and an ended show's
    /// recording is made final. Then the show is interrupted (viewers wait for it to come back) or ended (its replay
    /// is ready).
    async fn off_air(&self, channel: &mut Channel) {
        let was_live = std::mem::take(&mut channel.said_live);
        if let Some(transcoder) = channel.transcoder.take() {
            transcoder.finish().await;
        }
        if let Some(packaging) = channel.packaging.take() {
            packaging.finish().await;
        }
        if channel.ended {
            if let Err(e) = packager::finish_recording(&self.settings.media, &folder(&channel.event)).await {
                tracing::warn!(show = %channel.event.id, error = %e, "cannot make the recording final");
            }
            self.report(channel, StreamState::Ended).await;
        } else if was_live {
            self.report(channel, StreamState::Interrupted).await;
        }
    }

    /// Ends the show now (operator): an encoder on air is ended at its next tag and none is admitted any more; its
    /// recording becomes its replay, made final once the last segment is in. 404 for an unknown show.
    #[tracing::instrument(skip(self), fields(show = %event_id))]
    pub async fn end_show(&self, event_id: &str) -> Result<EventRecord, AppError> {
        let not_found = || unknown_show(event_id);
        let event = self.store.event_by_id(event_id).await?.ok_or_else(not_found)?;
        let folder = folder(&event);
        let recorded = format!("{folder}/recording/master.m3u8");
        let archive = match self.settings.media.exists(&recorded).await {
            Ok(true) => Some(format!("/media/{recorded}")),
            Ok(false) => None,
            Err(e) => {
                tracing::warn!(error = %e, "cannot tell whether the show was recorded");
                None
            }
        };
        self.store.end_event(event_id, Utc::now(), archive.as_deref()).await?;
        let ended = self.store.event_by_id(event_id).await?.ok_or_else(not_found)?;
        // The replica making the show's stream ends it (within 2 s) and makes its recording final.
        if self.lead(event_id).await == Err(PublishRefusal::OnAnotherServer) {
            tracing::info!("show ended; its stream ends on the server making it");
            return Ok(ended);
        }
        let channel = self.channel(&event);
        let mut channel = channel.lock().await;
        // The channel's copy of the show, which its last report reads: ended, with its replay.
        channel.event = ended.clone();
        channel.ended = true;
        if channel.splicer.is_empty() {
            self.off_air(&mut channel).await;
            self.leads.lock().await.remove(event_id);
        }
        tracing::info!(replay = archive.is_some(), "show ended");
        Ok(ended)
    }

    pub fn settings(&self) -> &IngestSettings {
        &self.settings
    }

    /// The show's pick-ups placed on its replay, in the order they happened: empty until the show has ended with a
    /// recording of its own.
    pub async fn replay_pickups(&self, event: &EventRecord) -> Result<Vec<ReplayPickup>, AppError> {
        if event.status_at(Utc::now()) != EventStatus::Ended {
            return Ok(Vec::new());
        }
        let Some(text) = first_rung_playlist(&self.settings.media, &folder(event)).await else {
            return Ok(Vec::new());
        };
        let segments = packager::read_recording(&text);
        if segments.is_empty() {
            return Ok(Vec::new());
        }
        let log = self.store.pickup_log(&event.id).await?;
        Ok(log
            .into_iter()
            .map(|pickup| ReplayPickup {
                offset: playlist::offset_at(&segments, pickup.updated_at),
                product_id: pickup.product_id,
                visible: pickup.visible,
            })
            .collect())
    }

    /// Where the show's stream stands now.
    pub async fn status(&self, event: &EventRecord) -> Result<StreamStatusRecord, AppError> {
        let stored = self.store.stream_status(&event.id).await?;
        Ok(status_of(event, stored, Utc::now()))
    }

    /// The encoders' "server" URL.
    pub fn rtmp_url(&self) -> String {
        let port = self.settings.rtmp_addr.map_or(1935, |addr| addr.port());
        format!("rtmp://{}/{APP}", self.authority(port))
    }

    /// The SRT address an encoder calls with `key` (caller mode; the passphrase is the operator's to add).
    pub fn srt_url(&self, key: &str) -> Option<String> {
        let port = self.settings.srt_addr?.port();
        // The public host without the RTMP port it may name (`[::1]:1935`, `live.example:1935`).
        let public = self.settings.public_host.as_str();
        let host = match public.rsplit_once(':') {
            Some((host, p)) if p.parse::<u16>().is_ok() && (!host.contains(':') || host.ends_with(']')) => host,
            _ => public,
        };
        Some(format!("srt://{host}:{port}?streamid=#!::r={APP}/{key},m=publish"))
    }

    /// The public host with `port` unless it names a port of its own.
    fn authority(&self, port: u16) -> String {
        let host = &self.settings.public_host;
        if host.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) && !host.ends_with(']') {
            host.clone()
        } else {
            format!("{host}:{port}")
        }
    }

    /// A new key for `role` of the show `event_id`, replacing the one before: 404 for an unknown show.
    #[tracing::instrument(skip(self), fields(show = %event_id))]
    pub async fn issue_key(&self, event_id: &str, role: KeyRole) -> Result<IssuedKey, AppError> {
        if self.store.event_by_id(event_id).await?.is_none() {
            return Err(unknown_show(event_id));
        }
        let key = random_token(24).map_err(AppError::Internal)?;
        self.store
            .replace_stream_key(event_id, role, &key_hash(&key), Utc::now())
            .await?;
        tracing::info!(role = role.as_str(), "stream key issued");
        Ok(IssuedKey {
            role,
            rtmp_url: self.rtmp_url(),
            srt_url: self.srt_url(&key),
            key,
        })
    }

    /// Lets the publisher of `key` in `app` on air, or says why not.
    pub async fn admit(&self, app: &str, key: &str) -> Result<OnAir, PublishRefusal> {
        if app != APP {
            return Err(PublishRefusal::UnknownApp);
        }
        if self.settings.ffmpeg.is_none() {
            return Err(PublishRefusal::NoTranscoder);
        }
        let unavailable = |e: crate::store::StoreError| {
            tracing::warn!(error = %e, "cannot check a stream key");
            PublishRefusal::Unavailable
        };
        let owner = self
            .store
            .stream_key_owner(&key_hash(key))
            .await
            .map_err(unavailable)?
            .ok_or(PublishRefusal::UnknownKey)?;
        let event = self
            .store
            .event_by_id(&owner.event_id)
            .await
            .map_err(unavailable)?
            .ok_or(PublishRefusal::UnknownKey)?;
        if event.status_at(Utc::now()) == crate::store::EventStatus::Ended {
            return Err(PublishRefusal::Ended);
        }
        self.lead(&event.id).await?;
        let mut on_air = self.on_air.lock().map_err(|_| PublishRefusal::Unavailable)?;
        if !on_air.insert((event.id.clone(), owner.role)) {
            return Err(PublishRefusal::InUse);
        }
        Ok(OnAir {
            event,
            role: owner.role,
            on_air: self.on_air.clone(),
        })
    }

    /// Makes sure this replica leads the show's stream: it already does, or no other replica does.
    async fn lead(&self, event_id: &str) -> Result<(), PublishRefusal> {
        let mut leads = self.leads.lock().await;
        if leads.contains_key(event_id) {
            return Ok(());
        }
        match self.store.try_lead(&format!("ingest:{event_id}")).await {
            Ok(Some(lead)) => {
                leads.insert(event_id.to_owned(), lead);
                Ok(())
            }
            Ok(None) => Err(PublishRefusal::OnAnotherServer),
            Err(e) => {
                tracing::warn!(error = %e, show = %event_id, "cannot ask for the show's lead");
                Err(PublishRefusal::Unavailable)
            }
        }
    }

    /// Points the show's player at its ingested stream (`url`) when it was not already (the channel's copy of the
    /// show too, which its reports read).
    async fn went_live(&self, event: &mut EventRecord, url: String) {
        if event.live_url.as_deref() == Some(url.as_str()) {
            return;
        }
        if let Err(e) = self.store.set_live_url(&event.id, &url).await {
            tracing::warn!(show = %event.id, error = %e, "cannot record where the show's stream is");
        }
        event.live_url = Some(url);
    }
}

/// A change of the pick-up banner, placed on the show's replay.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayPickup {
    pub product_id: Option<String>,
    pub visible: bool,
    /// Seconds from the replay's start.
    pub offset: f64,
}

/// The text of the recording's first rung playlist in the show's `folder` (every rung has the same times), if it
/// has one.
async fn first_rung_playlist(media: &MediaStore, folder: &str) -> Option<String> {
    for rung in media.folders(&format!("{folder}/recording")).await.ok()? {
        if let Ok(Some(text)) = media.text(&format!("{folder}/recording/{rung}/index.m3u8")).await {
            return Some(text);
        }
    }
    None
}

/// Where the stream of `event` stands at `now`, from what its ingest last said (`stored`): ended with the show; live,
/// interrupted or ended as the ingest said, but interrupted when a live status has not been renewed (its ingest is
/// gone); before any ingest, live when the show is on with a stream of its own (an external one), and
/// waiting otherwise.
pub fn status_of(event: &EventRecord, stored: Option<StoredStreamStatus>, now: DateTime<Utc>) -> StreamStatusRecord {
    let ended = event.status_at(now) == EventStatus::Ended;
    let (state, readings, updated_at) = match stored {
        Some(stored) => {
            let state = match stored.state {
                _ if ended => StreamState::Ended,
                StreamState::Live if now - stored.updated_at > LIVE_STATUS_LASTS => StreamState::Interrupted,
                state => state,
            };
            (state, stored.readings, stored.updated_at)
        }
        None => {
            let state = match event.status_at(now) {
                EventStatus::Ended => StreamState::Ended,
                EventStatus::Live if event.live_url.is_some() => StreamState::Live,
                _ => StreamState::Waiting,
            };
            (state, StreamReadings::default(), now)
        }
    };
    StreamStatusRecord {
        event_id: event.id.clone(),
        state,
        live_url: event.live_url.clone(),
        archive_url: event.archive_url.clone(),
        readings,
        updated_at,
    }
}

/// What needs the operator's attention in a show's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamWarning {
    /// An encoder's keyframes are further apart than a segment: a switch to it waits for its next keyframe.
    KeyframeIntervalTooLong,
    /// The transcoder encodes slower than real time: viewers will stall.
    TranscoderTooSlow,
    /// One encoder publishes: nothing takes over when it drops.
    NoBackup,
}

/// Below this speed (× real time) the transcoder falls behind the show.
const TOO_SLOW: f64 = 0.95;

/// The warnings of a show on air.
pub fn warnings(status: &StreamStatusRecord) -> Vec<StreamWarning> {
    if status.state != StreamState::Live {
        return Vec::new();
    }
    let readings = &status.readings;
    let segment = f64::from(readings.segment_seconds);
    let mut warnings = Vec::new();
    if readings
        .encoders
        .iter()
        .any(|e| e.keyframe_interval.is_some_and(|interval| interval > segment + 0.05))
    {
        warnings.push(StreamWarning::KeyframeIntervalTooLong);
    }
    if readings
        .transcoder
        .and_then(|t| t.speed)
        .is_some_and(|speed| speed < TOO_SLOW)
    {
        warnings.push(StreamWarning::TranscoderTooSlow);
    }
    if readings.encoders.len() == 1 {
        warnings.push(StreamWarning::NoBackup);
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{TranscoderReading, tests::fresh_store};

    #[tokio::test]
    async fn an_ended_show_says_so_to_every_replica_and_page() {
        let (store, _db) = fresh_store().await;
        store
            .create_event(&EventRecord::new("evt_1", "one", "One", Utc::now()), &[])
            .await
            .unwrap();
        let told = Arc::new(Mutex::new(Vec::new()));
        let noted = told.clone();
        let ingest = ingest_telling(
            store.clone(),
            Publisher::new(move |announcement| noted.lock().unwrap().push(announcement)),
        );
        assert_eq!(
            ingest
                .status(&store.event_by_id("evt_1").await.unwrap().unwrap())
                .await
                .unwrap()
                .state,
            StreamState::Waiting
        );
        ingest.end_show("evt_1").await.unwrap();
        let told = std::mem::take(&mut *told.lock().unwrap());
        let [Announcement::StreamStatus(status)] = &told[..] else {
            panic!("{told:?}")
        };
        assert_eq!((status.event_id.as_str(), status.state), ("evt_1", StreamState::Ended));
        let stored = store.stream_status("evt_1").await.unwrap().unwrap();
        assert_eq!(stored.state, StreamState::Ended);
    }

    #[test]
    fn a_status_follows_the_ingest_and_the_show() {
        let now = Utc::now();
        let mut event = EventRecord::new("evt_1", "one", "One", now - chrono::TimeDelta::minutes(1));
        let stored = |state, ago: i64| StoredStreamStatus {
            state,
            readings: StreamReadings::default(),
            updated_at: now - chrono::TimeDelta::seconds(ago),
        };
        let state = |event: &EventRecord, stored| status_of(event, stored, now).state;
        assert_eq!(state(&event, None), StreamState::Waiting, "no stream yet");
        event.live_url = Some("/media/demo/live/master.m3u8".into());
        assert_eq!(state(&event, None), StreamState::Live, "a stream of its own");
        assert_eq!(state(&event, Some(stored(StreamState::Live, 1))), StreamState::Live);
        assert_eq!(
            state(&event, Some(stored(StreamState::Live, 30))),
            StreamState::Interrupted,
            "its ingest stopped saying it is live"
        );
        assert_eq!(
            state(&event, Some(stored(StreamState::Interrupted, 1))),
            StreamState::Interrupted
        );
        event.ends_at = Some(now - chrono::TimeDelta::seconds(1));
        assert_eq!(state(&event, Some(stored(StreamState::Live, 1))), StreamState::Ended);
        assert_eq!(state(&event, None), StreamState::Ended);
    }

    #[test]
    fn warnings_name_what_needs_the_operator() {
        let encoder = |role, keyframe_interval| EncoderReading {
            role,
            on_air: role == KeyRole::Primary,
            width: Some(1280),
            height: Some(720),
            frame_rate: Some(30.0),
            bitrate_kbps: Some(3000),
            keyframe_interval,
        };
        let mut status = StreamStatusRecord {
            event_id: "evt_1".into(),
            state: StreamState::Live,
            live_url: None,
            archive_url: None,
            readings: StreamReadings {
                encoders: vec![
                    encoder(KeyRole::Primary, Some(1.0)),
                    encoder(KeyRole::Backup, Some(1.0)),
                ],
                transcoder: Some(TranscoderReading {
                    speed: Some(1.0),
                    dropped_frames: 0,
                }),
                segment_seconds: 1,
            },
            updated_at: Utc::now(),
        };
        assert_eq!(warnings(&status), []);
        status.readings.encoders[1].keyframe_interval = Some(4.0);
        status.readings.transcoder = Some(TranscoderReading {
            speed: Some(0.7),
            dropped_frames: 12,
        });
        assert_eq!(
            warnings(&status),
            [StreamWarning::KeyframeIntervalTooLong, StreamWarning::TranscoderTooSlow]
        );
        status.readings.encoders.pop();
        assert_eq!(
            warnings(&status),
            [StreamWarning::TranscoderTooSlow, StreamWarning::NoBackup]
        );
        status.state = StreamState::Interrupted;
        assert_eq!(warnings(&status), [], "nothing to warn of off air");
    }

    fn ingest(store: Store) -> Ingest {
        ingest_telling(store, Publisher::new(|_: Announcement| {}))
    }

    fn ingest_telling(store: Store, publisher: Publisher) -> Ingest {
        Ingest::new(
            store,
            publisher,
            IngestSettings {
                rtmp_addr: Some("127.0.0.1:19350".parse().unwrap()),
                srt_addr: Some("127.0.0.1:19000".parse().unwrap()),
                srt_passphrase: None,
                public_host: "live.example.com".into(),
                media: MediaStore::open(&crate::media_store::MediaStoreSettings::Local(
                    std::env::temp_dir().join("caravan-ingest-unit/media"),
                ))
                .unwrap(),
                endless: BTreeSet::new(),
                work_dir: std::env::temp_dir().join("caravan-ingest-unit/work"),
                ffmpeg: Some(PathBuf::from("/usr/bin/ffmpeg")),
                ladder: transcode::default_ladder(),
                segment_seconds: 1,
                passthrough: false,
                idle: Duration::from_secs(10),
            },
        )
    }

    #[tokio::test]
    async fn a_key_lets_one_publisher_of_its_show_on_air_until_it_is_replaced() {
        let (store, _db) = fresh_store().await;
        store
            .create_event(&EventRecord::new("evt_1", "one", "One", Utc::now()), &[])
            .await
            .unwrap();
        let ingest = ingest(store);
        let issued = ingest.issue_key("evt_1", KeyRole::Primary).await.unwrap();
        assert_eq!(issued.rtmp_url, "rtmp://live.example.com:19350/live");
        assert_eq!(
            issued.srt_url.as_deref(),
            Some(
                format!(
                    "srt://live.example.com:19000?streamid=#!::r=live/{},m=publish",
                    issued.key
                )
                .as_str()
            )
        );
        assert!(issued.key.len() >= 32);

        let on_air = ingest.admit("live", &issued.key).await.unwrap();
        assert_eq!((on_air.event.id.as_str(), on_air.role), ("evt_1", KeyRole::Primary));
        assert_eq!(
            ingest.admit("live", &issued.key).await.err(),
            Some(PublishRefusal::InUse)
        );
        drop(on_air);
        let again = ingest.admit("live", &issued.key).await.unwrap();
        drop(again);

        assert_eq!(
            ingest.admit("other", &issued.key).await.err(),
            Some(PublishRefusal::UnknownApp)
        );
        assert_eq!(
            ingest.admit("live", "guess").await.err(),
            Some(PublishRefusal::UnknownKey)
        );
        let replaced = ingest.issue_key("evt_1", KeyRole::Primary).await.unwrap();
        assert_eq!(
            ingest.admit("live", &issued.key).await.err(),
            Some(PublishRefusal::UnknownKey)
        );
        assert!(ingest.admit("live", &replaced.key).await.is_ok());

        // A server without ffmpeg says so, rather than taking a stream nothing would transcode.
        let mut settings = (*ingest.settings).clone();
        settings.ffmpeg = None;
        let without = Ingest::new(ingest.store.clone(), ingest.publisher.clone(), settings);
        assert_eq!(
            without.admit("live", &replaced.key).await.err(),
            Some(PublishRefusal::NoTranscoder)
        );

        let unknown = ingest.issue_key("evt_nope", KeyRole::Backup).await.unwrap_err();
        assert_eq!(unknown.code(), RefusalCode::NotFound);
    }
}
