-- Where an event's video is: the HLS master playlist of the live stream, and of the on-demand recording once the
-- show has ended. Paths under /media or absolute URLs (a CDN); NULL when there is none.
ALTER TABLE events ADD COLUMN live_url TEXT;
ALTER TABLE events ADD COLUMN archive_url TEXT;

-- The demo show seeded before this migration plays the demo's live stream and recording, as a fresh seed does.
UPDATE events
SET live_url = '/media/demo/live/master.m3u8', archive_url = '/media/demo/archive/master.m3u8'
WHERE id = 'evt_demo';
